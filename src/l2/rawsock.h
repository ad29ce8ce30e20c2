/*
 * AF_PACKET sockets for the responder, one per interface (packet(7)): opened with the BPF filter
 * from bpf.c attached before the socket is bound, so no unfiltered frame is ever queued; joined to
 * the Ethernet multicast groups of solicited-node addresses (RFC 4861 7.2.1, RFC 2464 7) with
 * PACKET_ADD_MEMBERSHIP, so the NIC delivers solicitations for addresses no host stack owns.
 *
 * Internal to src/l2. Every function returns 0 (or a length) on success and -1 with errno set.
 */
#ifndef INGOT_L2_RAWSOCK_H
#define INGOT_L2_RAWSOCK_H

#include <linux/if_packet.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "l2/eth.h"

/* A non-blocking, close-on-exec packet socket bound to ifindex, receiving only what bpf.c passes
 * and not its own transmissions. The caller owns the fd. */
int rawsock_open(int ifindex);
/* The interface's current hardware address, asked through fd (any socket will do; netdevice(7)).
 * Fails with EAFNOSUPPORT if the interface is not Ethernet. */
int rawsock_hwaddr(int fd, int ifindex, eth_addr *out);
/* Join or leave an Ethernet multicast group on the socket's interface. The kernel counts joins per
 * socket, so two addresses sharing a group each join and each leave once. */
int rawsock_join(int fd, int ifindex, const eth_addr *group);
int rawsock_leave(int fd, int ifindex, const eth_addr *group);

/*
 * Frames move in batches under a flood: one recvmmsg(2) reads up to RAWSOCK_BATCH requests and
 * one sendmmsg(2) sends the replies to all of them, instead of two system calls per frame (a
 * profile of the responder under flood showed 92 % of its time in recvfrom/send).
 */
#define RAWSOCK_BATCH 32
/* Larger than any frame the filter passes that we could answer (a standard MTU frame). */
#define RAWSOCK_RX_FRAME 2048
/* ARP and NDP frames we build are far smaller. */
#define RAWSOCK_TX_FRAME 128

struct rawsock_rx {
	uint8_t frame[RAWSOCK_BATCH][RAWSOCK_RX_FRAME];
	size_t len[RAWSOCK_BATCH];       /* 0: a frame to skip (see rawsock_recv_batch) */
	struct mmsghdr msg[RAWSOCK_BATCH];
	struct iovec iov[RAWSOCK_BATCH];
	struct sockaddr_ll from[RAWSOCK_BATCH];
};

struct rawsock_tx {
	uint8_t frame[RAWSOCK_BATCH][RAWSOCK_TX_FRAME];
	size_t len[RAWSOCK_BATCH];
	size_t n;                        /* frames queued */
	struct mmsghdr msg[RAWSOCK_BATCH];
	struct iovec iov[RAWSOCK_BATCH];
};

/* Reads up to max (<= RAWSOCK_BATCH) frames; returns how many (>= 1), or -1 with errno (EAGAIN:
 * none queued). Frames the host sent, and unicast frames for other stations (seen when the
 * interface is promiscuous, e.g. a bridge port), come back with len 0. */
int rawsock_recv_batch(int fd, struct rawsock_rx *rx, int max);
/* Sends a complete Ethernet frame on the bound interface. */
int rawsock_send(int fd, const void *frame, size_t len);
/* A slot for the next queued frame (RAWSOCK_TX_FRAME bytes), or NULL when the batch is full;
 * rawsock_tx_commit(tx, len) queues what was written into it. */
uint8_t *rawsock_tx_slot(struct rawsock_tx *tx);
void rawsock_tx_commit(struct rawsock_tx *tx, size_t len);
/* Sends every queued frame and empties the batch; returns how many went out. On a failure the
 * rest of the batch is dropped and errno says why. */
size_t rawsock_tx_flush(int fd, struct rawsock_tx *tx);
/* Frames the kernel dropped because the receive queue was full since the last call (the kernel
 * resets its count when read, PACKET_STATISTICS in packet(7)); 0 if unknown. */
unsigned rawsock_drops(int fd);

#endif
