/*
 * Classic BPF filter: ARP requests and ICMPv6 neighbor solicitations only (see bpf.h). Offsets are
 * into the Ethernet frame: EtherType at 12; ARP opcode at 14 + 6 (RFC 826 layout); IPv6 next
 * header at 14 + 6 and the ICMPv6 type at 14 + 40 (RFC 8200 section 3, RFC 4443 section 2.1).
 */
#include "l2/bpf.h"

#include <sys/socket.h>

#define OFF_ETHERTYPE 12
#define OFF_ARP_OP 20
#define OFF_IPV6_NEXT 20
#define OFF_ICMP6_TYPE 54
/* Bytes of an accepted frame to keep: more than any ARP or NS frame we would answer. */
#define SNAPLEN 0xffff

static struct sock_filter insns[] = {
	/* 0: tagged frames belong to a VLAN interface, which has a responder of its own */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 10),
	/* 2 */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_ETHERTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0806, 0, 2),
	/* 4: ARP, opcode request */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, OFF_ARP_OP),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 6),
	/* 6: IPv6, next header ICMPv6, type neighbor solicitation */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 5),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_IPV6_NEXT),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, OFF_ICMP6_TYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 0, 1),
	/* 11: accept */
	BPF_STMT(BPF_RET | BPF_K, SNAPLEN),
	/* 12: drop */
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static const struct sock_fprog program = {
	.len = sizeof(insns) / sizeof(insns[0]),
	.filter = insns,
};

const struct sock_fprog *l2_bpf_program(void)
{
	return &program;
}

int l2_bpf_attach(int fd)
{
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program));
}
