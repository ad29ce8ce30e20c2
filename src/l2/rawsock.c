/*
 * AF_PACKET socket glue (see rawsock.h; packet(7), netdevice(7)). The filter is attached to a
 * socket created with protocol 0, which receives nothing, and only then bound with ETH_P_ALL, so
 * no frame reaches the queue unfiltered (the race keepalived's vrrp_arp.c avoids the same way).
 */
#include "l2/rawsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2/bpf.h"

#define RCVBUF (4 << 20)

int rawsock_open(int ifindex)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (l2_bpf_attach(fd) != 0)
		goto fail;
	/* Linux 4.20+: our own replies are not looped back to us. Older kernels mark them
	 * PACKET_OUTGOING, which rawsock_recv skips, so failure here is harmless. */
	int one = 1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* Room for a request flood to queue up while the loop is busy elsewhere: the default
	 * (rmem_default, about 200 KiB) holds only a few hundred frames. FORCE needs CAP_NET_ADMIN;
	 * without it the plain option is capped at rmem_max. */
	int rcvbuf = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		goto fail;
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int rawsock_hwaddr(int fd, int ifindex, eth_addr *out)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return -1;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		return -1;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(out->b, ifr.ifr_hwaddr.sa_data, ETH_ADDR_LEN);
	return 0;
}

static int membership(int fd, int ifindex, const eth_addr *group, int op)
{
	struct packet_mreq mr;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = PACKET_MR_MULTICAST;
	mr.mr_alen = ETH_ADDR_LEN;
	memcpy(mr.mr_address, group->b, ETH_ADDR_LEN);
	return setsockopt(fd, SOL_PACKET, op, &mr, sizeof(mr));
}

int rawsock_join(int fd, int ifindex, const eth_addr *group)
{
	return membership(fd, ifindex, group, PACKET_ADD_MEMBERSHIP);
}

int rawsock_leave(int fd, int ifindex, const eth_addr *group)
{
	return membership(fd, ifindex, group, PACKET_DROP_MEMBERSHIP);
}

int rawsock_recv_batch(int fd, struct rawsock_rx *rx, int max)
{
	if (max > RAWSOCK_BATCH)
		max = RAWSOCK_BATCH;
	for (int i = 0; i < max; i++) {
		rx->iov[i] = (struct iovec){ rx->frame[i], sizeof(rx->frame[i]) };
		rx->msg[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &rx->from[i], .msg_namelen = sizeof(rx->from[i]),
			.msg_iov = &rx->iov[i], .msg_iovlen = 1 } };
	}
	int n = recvmmsg(fd, rx->msg, (unsigned)max, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return n < 0 ? -1 : (errno = EAGAIN, -1);
	for (int i = 0; i < n; i++) {
		unsigned char type = rx->from[i].sll_pkttype;
		bool skip = type == PACKET_OUTGOING || type == PACKET_OTHERHOST;
		/* A frame longer than the buffer is truncated (MSG_TRUNC): its tail is not ours to
		 * parse, and nothing we answer is that long, so it is skipped too. */
		if (rx->msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			skip = true;
		rx->len[i] = skip ? 0 : rx->msg[i].msg_len;
	}
	return n;
}

uint8_t *rawsock_tx_slot(struct rawsock_tx *tx)
{
	return tx->n < RAWSOCK_BATCH ? tx->frame[tx->n] : NULL;
}

void rawsock_tx_commit(struct rawsock_tx *tx, size_t len)
{
	if (tx->n < RAWSOCK_BATCH && len <= RAWSOCK_TX_FRAME)
		tx->len[tx->n++] = len;
}

size_t rawsock_tx_flush(int fd, struct rawsock_tx *tx)
{
	for (size_t i = 0; i < tx->n; i++) {
		tx->iov[i] = (struct iovec){ tx->frame[i], tx->len[i] };
		tx->msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &tx->iov[i], .msg_iovlen = 1 } };
	}
	size_t sent = 0;
	while (sent < tx->n) {
		int r = sendmmsg(fd, tx->msg + sent, (unsigned)(tx->n - sent), 0);
		if (r <= 0)
			break;
		sent += (size_t)r;
	}
	tx->n = 0;
	return sent;
}

int rawsock_send(int fd, const void *frame, size_t len)
{
	ssize_t n = send(fd, frame, len, 0);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

unsigned rawsock_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
		return 0;
	return st.tp_drops;
}
