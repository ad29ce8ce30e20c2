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

#include <stddef.h>
#include <sys/types.h>

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

/* One received frame. Frames the host sent, and unicast frames for other stations (seen when the
 * interface is promiscuous, e.g. a bridge port), are skipped: `n` is 0 for them. */
ssize_t rawsock_recv(int fd, void *buf, size_t cap);
/* Sends a complete Ethernet frame on the bound interface. */
int rawsock_send(int fd, const void *frame, size_t len);
/* Frames the kernel dropped because the receive queue was full since the last call (the kernel
 * resets its count when read, PACKET_STATISTICS in packet(7)); 0 if unknown. */
unsigned rawsock_drops(int fd);

#endif
