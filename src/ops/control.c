/*
 * The control socket's glue (see control.h): the listening unix socket, safe replacement of a
 * stale socket file, and one line-buffered connection per client on the main loop. The protocol
 * itself is in control_proto.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "ops/control.h"

struct control_client {
	struct control *srv;
	int fd;
	struct watch *watch;
	struct timer *idle;
	char in[CONTROL_MAX_REQUEST + 2]; /* a line, its newline, one byte more to see it is too long */
	size_t in_len;
	char *out;              /* responses not yet written */
	size_t out_len, out_off;
	bool close_after_write; /* EOF seen, or a request too long */
	struct control_client *next;
};

struct control {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	struct watch *watch;
	struct status_registry *status;
	monotime idle_timeout;
	struct control_client *clients;
	size_t nclients;
};

static struct log_ratelimit client_rl = LOG_RATELIMIT(5, 1);

/* --- connections ------------------------------------------------------------------------- */

static void client_close(struct control_client *cl)
{
	struct control *c = cl->srv;
	for (struct control_client **p = &c->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	c->nclients--;
	watch_free(cl->watch);
	timer_free(cl->idle);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void queue(struct control_client *cl, const char *data, size_t len)
{
	cl->out = xreallocarray(cl->out, cl->out_len + len, 1);
	memcpy(cl->out + cl->out_len, data, len);
	cl->out_len += len;
}

static void answer(struct control_client *cl, const char *line, size_t len)
{
	json_t *resp = control_respond(cl->srv->status, line, len);
	char *text = resp ? json_dumps(resp, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(resp);
	if (!text)
		log_fatal("ops", "cannot encode a control response", "");
	queue(cl, text, strlen(text));
	queue(cl, "\n", 1);
	free(text);
}

/* Answers every complete line in the input buffer; keeps a partial one. */
static void answer_lines(struct control_client *cl)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(cl->in + start, '\n', cl->in_len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (cl->in + start));
		if (len && cl->in[start + len - 1] == '\r')
			len--;
		if (len)
			answer(cl, cl->in + start, len);
		start = (size_t)(nl - cl->in) + 1;
	}
	memmove(cl->in, cl->in + start, cl->in_len - start);
	cl->in_len -= start;
}

/* Writes what it can; returns false when the client is gone and must be closed. */
static bool flush(struct control_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		cl->out_off += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_off = 0;
	return true;
}

/* Reads what is there; returns false when the client is gone and must be closed. */
static bool fill(struct control_client *cl)
{
	for (;;) {
		if (cl->in_len > CONTROL_MAX_REQUEST) {
			static const char too_long[] = "{\"ok\":false,\"error\":\"request longer than "
				"4096 bytes\"}\n";
			_Static_assert(CONTROL_MAX_REQUEST == 4096, "message names the bound");
			queue(cl, too_long, sizeof(too_long) - 1);
			cl->in_len = 0;
			cl->close_after_write = true;
			return true;
		}
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, CONTROL_MAX_REQUEST + 1 - cl->in_len,
				 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0) {
			/* EOF: a last request without its newline still counts */
			if (cl->in_len) {
				cl->in[cl->in_len++] = '\n';
				answer_lines(cl);
			}
			cl->close_after_write = true;
			return true;
		}
		cl->in_len += (size_t)n;
		answer_lines(cl);
		if (cl->out_len)
			return true;    /* answer before reading more */
	}
}

static void client_io(int fd, int events, void *arg)
{
	struct control_client *cl = arg;
	bool alive = true;
	if ((events & WATCH_READ) && !cl->out_len && !cl->close_after_write)
		alive = fill(cl);
	if (alive && cl->out_len)
		alive = flush(cl);
	if (!alive || (cl->close_after_write && !cl->out_len)) {
		client_close(cl);
		return;
	}
	timer_start(cl->idle, cl->srv->idle_timeout);
	watch_set(cl->watch, cl->out_len ? WATCH_WRITE : WATCH_READ);
}

static void client_idle(void *arg)
{
	struct control_client *cl = arg;
	log_rl(&client_rl, LOGL_DEBUG, "ops", "control client idle, closing", "fd=%d", cl->fd);
	client_close(cl);
}

static void on_accept(int fd, int events, void *arg)
{
	struct control *c = arg;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_rl(&client_rl, LOGL_WARN, "ops", "control socket accept failed",
				       "error=\"%s\"", strerror(errno));
			return;
		}
		if (c->nclients >= CONTROL_MAX_CLIENTS) {
			log_rl(&client_rl, LOGL_WARN, "ops", "too many control clients, refusing one",
			       "max=%d", CONTROL_MAX_CLIENTS);
			close(cfd);
			continue;
		}
		struct control_client *cl = XNEW(struct control_client);
		cl->srv = c;
		cl->fd = cfd;
		cl->watch = watch_new(cfd, WATCH_READ, client_io, cl);
		cl->idle = timer_new(client_idle, cl);
		timer_start(cl->idle, c->idle_timeout);
		cl->next = c->clients;
		c->clients = cl;
		c->nclients++;
	}
}

/* --- the listening socket ------------------------------------------------------------------ */

static bool fill_addr(struct sockaddr_un *sa, const char *path)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa->sun_path))
		return false;
	strcpy(sa->sun_path, path);
	return true;
}

/* Is a process accepting on the socket at path? */
static bool socket_live(const char *path)
{
	struct sockaddr_un sa;
	fill_addr(&sa, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

static bool make_parent(const char *path, char *err, size_t err_len)
{
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	bool ok = mkdir(dir, 0700) == 0 || errno == EEXIST;
	if (!ok)
		snprintf(err, err_len, "cannot create %s: %s", dir, strerror(errno));
	free(copy);
	return ok;
}

/* Binds a fresh socket under tmp with mode 0600 and listens; returns the fd or -1. */
static int bind_private(const char *tmp, char *err, size_t err_len)
{
	struct sockaddr_un sa;
	fill_addr(&sa, tmp);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp);
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(tmp, 0600) < 0 || listen(fd, CONTROL_MAX_CLIENTS) < 0) {
		snprintf(err, err_len, "cannot listen on %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

struct control *control_new(const char *path, struct status_registry *r, char *err,
			    size_t err_len)
{
	struct sockaddr_un sa;
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	if (!fill_addr(&sa, tmp)) {
		snprintf(err, err_len, "socket path too long (at most %zu bytes with room for a "
			 "temporary name): %s", sizeof(sa.sun_path) - 1 - (strlen(tmp) - strlen(path)),
			 path);
		free(tmp);
		return NULL;
	}
	if (!make_parent(path, err, err_len)) {
		free(tmp);
		return NULL;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "%s exists and is not a socket; not replacing it", path);
			free(tmp);
			return NULL;
		}
		if (socket_live(path)) {
			snprintf(err, err_len, "%s is in use by a running process", path);
			free(tmp);
			return NULL;
		}
		log_info("ops", "replacing a stale control socket", "path=%s", path);
	}
	int fd = bind_private(tmp, err, err_len);
	if (fd < 0) {
		free(tmp);
		return NULL;
	}
	/* rename() replaces a stale socket atomically: path never names a half-made socket */
	if (rename(tmp, path) < 0 || stat(path, &st) < 0) {
		snprintf(err, err_len, "cannot move the socket to %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	free(tmp);

	struct control *c = XNEW(struct control);
	c->path = xstrdup(path);
	c->fd = fd;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->status = r;
	c->idle_timeout = mono_from_s(CONTROL_IDLE_TIMEOUT_S);
	c->watch = watch_new(fd, WATCH_READ, on_accept, c);
	log_info("ops", "control socket listening", "path=%s", path);
	return c;
}

void control_set_idle_timeout(struct control *c, monotime timeout)
{
	c->idle_timeout = timeout;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_close(c->clients);
	watch_free(c->watch);
	close(c->fd);
	struct stat st;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c->path);
	free(c);
}
