/*
 * The classic BPF socket filter for the responder's AF_PACKET sockets: the kernel hands user space
 * only untagged Ethernet frames carrying an ARP request (RFC 826 opcode 1) or an ICMPv6 Neighbor
 * Solicitation directly after the IPv6 header (RFC 4861 section 4.3, type 135). Everything else,
 * including VLAN-tagged frames seen on a parent interface, is dropped in the kernel.
 */
#ifndef INGOT_L2_BPF_H
#define INGOT_L2_BPF_H

#include <linux/filter.h>

/* The program, in static storage; never freed. */
const struct sock_fprog *l2_bpf_program(void);
/* SO_ATTACH_FILTER on fd. Returns 0, or -1 with errno set. */
int l2_bpf_attach(int fd);

#endif
