/*
 * The SWIM glue (swim.h): one UDP socket and one timer on the core/loop.h event loop around the
 * pure core. Reads are bounded per wake-up; the timer is re-armed for the core's next deadline
 * after every input and tick. Boot nonce and seed come from getrandom(), the starting
 * incarnation from the wall clock in milliseconds, so a restarted process always claims a higher
 * incarnation than its previous life (others then take it back as alive at once).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "swim/wire.h"

#define READS_PER_WAKEUP 64

struct swim_udp {
	struct swim *core;
	int fd;
	enum ip_family family;
	struct watch *watch;
	struct timer *timer;
	void (*event)(void *arg, const struct swim_event *ev);
	void *arg;
};

static socklen_t to_sockaddr(const struct swim_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->ip.family == IP_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip.bytes, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	memcpy(&s4->sin_addr, a->ip.bytes, 4);
	return sizeof(*s4);
}

static struct swim_addr from_sockaddr(const struct sockaddr_storage *ss)
{
	struct swim_addr a = { 0 };
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		a.ip = ip_addr_from_bytes(IP_V6, s6->sin6_addr.s6_addr);
		a.port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		a.ip = ip_addr_from_bytes(IP_V4, (const uint8_t *)&s4->sin_addr);
		a.port = ntohs(s4->sin_port);
	}
	return a;
}

static void rearm(struct swim_udp *u)
{
	monotime next = swim_next_deadline(u->core), now = mono_now();
	monotime after = mono_before(now, next) ? mono_sub(next, now) : mono_zero();
	timer_start(u->timer, after);
}

static void send_cb(void *arg, const struct swim_addr *to, const uint8_t *pkt, size_t len)
{
	struct swim_udp *u = arg;
	if (to->ip.family != u->family)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	if (sendto(u->fd, pkt, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		static struct log_ratelimit rl = LOG_RATELIMIT(5, 1);
		char ip[IP_ADDR_STRLEN];
		ip_addr_format(&to->ip, ip, sizeof(ip));
		log_rl(&rl, LOGL_DEBUG, "swim", "send failed", "to=%s:%u reason=%s", ip, to->port,
		       strerror(errno));
	}
}

static void event_cb(void *arg, const struct swim_event *ev)
{
	struct swim_udp *u = arg;
	if (u->event)
		u->event(u->arg, ev);
}

static void on_read(int fd, int events, void *arg)
{
	(void)events;
	struct swim_udp *u = arg;
	uint8_t buf[SWIM_MAX_PACKET + 1];
	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			break;
		struct swim_addr from = from_sockaddr(&ss);
		swim_input(u->core, &from, buf, (size_t)n, mono_now());
	}
	rearm(u);
}

static void on_timer(void *arg)
{
	struct swim_udp *u = arg;
	swim_tick(u->core, mono_now());
	rearm(u);
}

static uint64_t random64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint64_t)mono_to_ns(mono_now()) ^ ((uint64_t)getpid() << 32);
	return v;
}

struct swim_udp *swim_udp_new(const struct swim_config *cfg, const struct swim_addr *bind_to,
			      void (*event)(void *arg, const struct swim_event *ev), void *arg,
			      char *err, size_t err_len)
{
	int fam = bind_to->ip.family == IP_V6 ? AF_INET6 : AF_INET;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return NULL;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	struct sockaddr_storage ss;
	struct swim_addr b = *bind_to;
	if (b.ip.family == IP_NONE)
		b.ip = ip_addr_v4(0);
	socklen_t sl = to_sockaddr(&b, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		char ip[IP_ADDR_STRLEN];
		ip_addr_format(&b.ip, ip, sizeof(ip));
		snprintf(err, err_len, "bind %s:%u: %s", ip, b.port, strerror(errno));
		close(fd);
		return NULL;
	}
	struct swim_udp *u = xcalloc(1, sizeof(*u));
	u->fd = fd;
	u->family = b.ip.family;
	u->event = event;
	u->arg = arg;
	struct swim_config c = *cfg;
	if (!c.nonce)
		c.nonce = random64();
	if (!c.seed)
		c.seed = random64() | 1;
	if (!c.incarnation) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		c.incarnation = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	struct swim_io io = { send_cb, event_cb, u };
	u->core = swim_new(&c, &io, mono_now());
	u->watch = watch_new(fd, WATCH_READ, on_read, u);
	u->timer = timer_new(on_timer, u);
	rearm(u);
	return u;
}

void swim_udp_set_members(struct swim_udp *u, const struct swim_member_spec *m, size_t n)
{
	struct swim_member_spec *keep = xcalloc(n + 1, sizeof(*keep));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].addr.ip.family == u->family)
			keep[k++] = m[i];
	swim_set_members(u->core, keep, k, mono_now());
	free(keep);
	rearm(u);
}

void swim_udp_leave(struct swim_udp *u)
{
	swim_leave(u->core, mono_now());
	timer_stop(u->timer);
}

struct swim *swim_udp_core(struct swim_udp *u)
{
	return u->core;
}

void swim_udp_free(struct swim_udp *u)
{
	if (!u)
		return;
	watch_free(u->watch);
	timer_free(u->timer);
	close(u->fd);
	swim_free(u->core);
	free(u);
}
