/*
 * The scenarios of test_alloc_rules.c, one table per rule family. Each expected value is what
 * MetalLB's controller would do with the same configuration and Services (deterministic pool
 * order aside; see src/alloc/alloc.h).
 */

static const struct scenario seed_cases[] = {
	{ "seed: avoidBuggyIPs makes nginx get .1", {
		"pool default 198.51.100.0/24 buggy",
		"svc default/nginx -> 198.51.100.1",
		"event IPAllocated Assigned IP [\"198.51.100.1\"]",
		"frompool default",
	} },
	{ "without avoidBuggyIPs the network address is allocatable", {
		"pool default 198.51.100.0/24",
		"svc default/nginx -> 198.51.100.0",
	} },
	{ "lowest free first, freed addresses reused at once", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1", "svc a/c -> 10.0.0.2",
		"del a/b",
		"svc a/d -> 10.0.0.1",
		"svc a/e -> 10.0.0.3",
	} },
	{ "ranges are used in configured order, not numeric order", {
		"pool p 10.0.1.0/31,10.0.0.0/24",
		"svc a/a -> 10.0.1.0", "svc a/b -> 10.0.1.1", "svc a/c -> 10.0.0.0",
	} },
	{ "avoidBuggyIPs skips .255 and .0 across /24 boundaries", {
		"pool p 10.0.0.254-10.0.1.2 buggy",
		"svc a/a -> 10.0.0.254", "svc a/b -> 10.0.1.1", "svc a/c -> 10.0.1.2",
		"svc a/d -> fail:no available IPs",
	} },
	{ "a sync of an assigned Service changes nothing and emits nothing", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0", "changed yes",
		"svc a/a -> 10.0.0.0", "changed no",
		"noevent IPAllocated",
	} },
	{ "not a LoadBalancer: IP released", {
		"pool p 10.0.0.0/30",
		"svc a/a -> 10.0.0.0",
		"svc a/a type=cluster -> -",
		"svc a/b -> 10.0.0.0",
	} },
	{ "pool counters", {
		"pool p 10.0.0.0/24,2001:db8::/120 buggy",
		"svc a/a -> 10.0.0.1",
		"svc a/b fam=6 -> 2001:db8::",
		"svc a/c share=k ports=TCP/1 -> 10.0.0.2",
		"svc a/d share=k ports=TCP/2 -> 10.0.0.2",
		"counters p 2 1 252 255",
	} },
};

static void test_seed_and_lowest_first(void **state)
{
	RUN_ALL(seed_cases);
}

static const struct scenario pool_cases[] = {
	{ "auto-assign pools in name order (deterministic)", {
		"pool zeta 10.0.2.0/24", "pool alpha 10.0.1.0/24",
		"svc a/a -> 10.0.1.0", "frompool alpha",
	} },
	{ "next pool when the first is full", {
		"pool alpha 10.0.1.0/31", "pool beta 10.0.2.0/24",
		"svc a/a -> 10.0.1.0", "svc a/b -> 10.0.1.1", "svc a/c -> 10.0.2.0",
		"frompool beta",
	} },
	{ "autoAssign=false only on explicit request", {
		"pool manual 10.0.9.0/24 manual",
		"svc a/a -> fail:no available IPs",
		"svc a/b pool=manual -> 10.0.9.0",
		"svc a/c ip=10.0.9.7 -> 10.0.9.7",
		"svc a/d ips=10.0.9.8 -> 10.0.9.8",
	} },
	{ "address-pool annotation picks the pool", {
		"pool alpha 10.0.1.0/24", "pool beta 10.0.2.0/24",
		"svc a/a pool=beta -> 10.0.2.0", "frompool beta",
		"svc a/b pool=nope -> fail:unknown pool \"nope\"",
	} },
	{ "changing the pool annotation moves the Service", {
		"pool alpha 10.0.1.0/24", "pool beta 10.0.2.0/24",
		"svc a/a -> 10.0.1.0",
		"svc a/a pool=beta -> 10.0.2.0",
		"svc a/b -> 10.0.1.0",
	} },
	{ "pool annotation exhausted", {
		"pool alpha 10.0.1.0/32", "pool beta 10.0.2.0/24",
		"svc a/a pool=alpha -> 10.0.1.0",
		"svc a/b pool=alpha -> fail:no available IPs in pool alpha for ipv4 IPFamily",
	} },
	{ "namespace-pinned pools by priority, 0 last, then general pools", {
		"pool general 10.0.0.0/24",
		"pool unset 10.0.3.0/24 ns=team",
		"pool seven 10.0.7.0/24 ns=team prio=7",
		"pool two 10.0.2.0/32 ns=team|other prio=2",
		"svc team/a -> 10.0.2.0", "frompool two",
		"svc team/b -> 10.0.7.0",
		"svc default/c -> 10.0.0.0",
		"svc other/d -> 10.0.0.1",
	} },
	{ "pinned pools exhausted: fall back to general pools", {
		"pool general 10.0.0.0/24",
		"pool mine 10.0.5.0/32 ns=team",
		"svc team/a -> 10.0.5.0", "svc team/b -> 10.0.0.0",
	} },
	{ "a restricted pool never serves others, even when nothing else is left", {
		"pool mine 10.0.5.0/24 ns=team",
		"svc default/a -> fail:no available IPs",
		"svc team/b -> 10.0.5.0",
	} },
	{ "namespace selectors and service selectors", {
		"pool general 10.0.0.0/24",
		"pool prod 10.0.1.0/24 nssel=env=prod",
		"pool web 10.0.2.0/24 svcsel=app=web prio=1",
		"svc x/a nslabel=env=prod -> 10.0.1.0",
		"svc x/b label=app=web -> 10.0.2.0",
		"svc x/c nslabel=env=prod label=app=web -> 10.0.2.1",
		"svc x/d nslabel=env=dev -> 10.0.0.0",
	} },
	{ "namespace and service selector together must both match", {
		"pool general 10.0.0.0/24",
		"pool both 10.0.1.0/24 ns=team svcsel=app=web",
		"svc team/a -> 10.0.0.0",
		"svc team/b label=app=web -> 10.0.1.0",
		"svc other/c label=app=web -> 10.0.0.1",
	} },
	{ "an explicit IP in a pool the Service may not use", {
		"pool mine 10.0.5.0/24 ns=team",
		"svc default/a ip=10.0.5.5 -> fail:pool mine not compatible for ip assignment",
		"svc default/b pool=mine -> fail:pool mine not compatible for ip assignment",
	} },
	{ "priority-only serviceAllocation is tried for everyone at its priority", {
		"pool general 10.0.0.0/24",
		"pool first 10.0.1.0/24 prio=1",
		"svc a/a -> 10.0.1.0",
	} },
};

static void test_pool_choice(void **state)
{
	RUN_ALL(pool_cases);
}

static const struct scenario request_cases[] = {
	{ "spec.loadBalancerIP", {
		"pool p 198.51.100.0/24",
		"svc a/a ip=198.51.100.10 -> 198.51.100.10",
		"svc a/b -> 198.51.100.0",
		"svc a/c ip=198.51.100.10 -> fail:address also in use by a/a",
	} },
	{ "requested IP outside every pool", {
		"pool p 198.51.100.0/24",
		"svc a/a ip=203.0.113.5 -> fail:[\"203.0.113.5\"] is not allowed in config",
		"event AllocationFailed Failed to allocate IP for \"a/a\": [\"203.0.113.5\"] is not allowed in config",
	} },
	{ "requested buggy IP in an avoidBuggyIPs pool is refused", {
		"pool p 198.51.100.0/24 buggy",
		"svc a/a ip=198.51.100.255 -> fail:is not allowed in config",
	} },
	{ "invalid requests", {
		"pool p 198.51.100.0/24",
		"svc a/a ip=banana -> fail:invalid spec.loadBalancerIP \"banana\"",
		"svc a/b ip=198.51.100.1 ips=198.51.100.2 -> fail:service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP",
		"svc a/c ips=198.51.100.1;198.51.100.2 -> fail:same address family",
		"svc a/d ips=198.51.100.1;x -> fail:invalid metallb.io/loadBalancerIPs",
		"svc a/e ip=2001:db8::1 -> fail:requested loadBalancer IP(s) [\"2001:db8::1\"] does not match the ipFamily of the service",
	} },
	{ "requested IP and pool annotation must agree", {
		"pool alpha 10.0.1.0/24", "pool beta 10.0.2.0/24",
		"svc a/a ip=10.0.1.5 pool=beta -> fail:is not compatible with requested address pool beta",
		"svc a/b ip=10.0.1.5 pool=alpha -> 10.0.1.5",
	} },
	{ "changing the requested IP moves the Service", {
		"pool p 10.0.1.0/24",
		"svc a/a -> 10.0.1.0",
		"svc a/a ip=10.0.1.9 -> 10.0.1.9",
		"svc a/b -> 10.0.1.0",
	} },
	{ "an invalid request while holding an IP keeps the IP (LoadBalancerFailed)", {
		"pool p 10.0.1.0/24",
		"svc a/a -> 10.0.1.0",
		"svc a/a ip=nope -> 10.0.1.0",
		"event LoadBalancerFailed invalid requested loadbalancer IPs: invalid spec.loadBalancerIP",
	} },
};

static void test_requested_ips(void **state)
{
	RUN_ALL(request_cases);
}

static const struct scenario sharing_cases[] = {
	{ "same key, different ports share the lowest address", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k ports=TCP/80 -> 10.0.0.0",
		"svc a/b share=k ports=TCP/443 -> 10.0.0.0",
		"svc a/c share=k ports=UDP/80 -> 10.0.0.0",
		"svc a/d share=k ports=TCP/80 -> 10.0.0.1",
		"svc a/e ports=TCP/9 -> 10.0.0.2",
		"svc a/f share=other ports=TCP/9 -> 10.0.0.3",
	} },
	{ "a shareable address below the lowest free one is preferred", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k ports=TCP/80 -> 10.0.0.0",
		"svc a/b -> 10.0.0.1",
		"svc a/c share=k ports=TCP/81 -> 10.0.0.0",
		"del a/a", "del a/c",
		"svc a/d share=k ports=TCP/82 -> 10.0.0.0",
	} },
	{ "a free address below the shareable one is taken first", {
		"pool p 10.0.0.0/24",
		"svc a/x -> 10.0.0.0",
		"svc a/a share=k -> 10.0.0.1",
		"del a/x",
		"svc a/b share=k ports=TCP/81 -> 10.0.0.0",
	} },
	{ "explicit sharing: key and port conflicts are errors", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k ports=TCP/80 -> 10.0.0.0",
		"svc a/b share=k ports=TCP/443 ip=10.0.0.0 -> 10.0.0.0",
		"svc a/c share=x ip=10.0.0.0 -> fail:can't change sharing key for \"a/c\", address also in use by a/a,a/b",
		"svc a/d ip=10.0.0.0 -> fail:can't change sharing key for \"a/d\"",
		"svc a/e share=k ports=TCP/80 ip=10.0.0.0 -> fail:port TCP/80 is already in use on \"10.0.0.0\"",
	} },
	{ "Local traffic policy: same selector required", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k local sel=app=x ports=TCP/80 -> 10.0.0.0",
		"svc a/b share=k local sel=app=x ports=TCP/81 -> 10.0.0.0",
		"svc a/c share=k local sel=app=y ports=TCP/82 -> 10.0.0.1",
		"svc a/d share=k ports=TCP/83 -> 10.0.0.2",
		"svc a/e share=k ports=TCP/84 -> 10.0.0.2",
		"svc a/f share=k local sel=app=y ports=TCP/85 ip=10.0.0.0 -> fail:can't change sharing key",
	} },
	{ "a lone owner may change its own key", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k -> 10.0.0.0",
		"svc a/a share=other -> 10.0.0.0",
		"svc a/b share=other ports=TCP/81 -> 10.0.0.0",
	} },
	{ "a shared address is freed when its last user goes", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k ports=TCP/80 -> 10.0.0.0",
		"svc a/b share=k ports=TCP/81 -> 10.0.0.0",
		"del a/a",
		"svc a/c -> 10.0.0.1",
		"del a/b",
		"svc a/d -> 10.0.0.0",
	} },
	{ "sharing across namespaces", {
		"pool p 10.0.0.0/24",
		"svc one/a share=k ports=TCP/80 -> 10.0.0.0",
		"svc two/b share=k ports=UDP/80 -> 10.0.0.0",
	} },
};

static void test_sharing(void **state)
{
	RUN_ALL(sharing_cases);
}

static const struct scenario dual_cases[] = {
	{ "RequireDualStack: one IP per family from the same pool", {
		"pool v4 10.0.0.0/24", "pool v6 2001:db8:6::/120",
		"pool z-dual 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a fam=46 policy=require -> 10.0.9.0,2001:db8:9::",
		"frompool z-dual",
		"svc a/b fam=64 policy=require -> 10.0.9.1,2001:db8:9::1",
	} },
	{ "RequireDualStack without a dual pool fails", {
		"pool v4 10.0.0.0/24", "pool v6 2001:db8:6::/120",
		"svc a/a fam=46 policy=require -> fail:no available IPs",
	} },
	{ "RequireDualStack with one ClusterIP family", {
		"pool d 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a fam=4 policy=require -> ",
		"event not_enough_clusterips Service requires dual stack",
	} },
	{ "PreferDualStack: dual pool first, else primary family, else secondary", {
		"pool a-v4 10.0.0.0/32", "pool b-v6 2001:db8:6::/127",
		"svc a/a fam=46 policy=prefer -> 10.0.0.0",
		"svc a/b fam=46 policy=prefer -> 2001:db8:6::",
		"svc a/c fam=64 policy=prefer -> 2001:db8:6::1",
	} },
	{ "PreferDualStack with one IP gets the other family from its pool", {
		"pool d 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a fam=46 policy=prefer status=10.0.9.5 -> 10.0.9.5,2001:db8:9::",
		"event IPAllocated Assigned additional IP \"2001:db8:9::\"",
	} },
	{ "PreferDualStack additional family unavailable", {
		"pool d 10.0.9.0/24,2001:db8:9::/128",
		"svc a/x fam=6 -> 2001:db8:9::",
		"svc a/a fam=46 policy=prefer status=10.0.9.5 -> 10.0.9.5",
		"event AdditionalAssignFailed cannot assign additional IP in PreferDualStack: no available IPs in pool d for ipv6 IPFamily",
	} },
	{ "single-stack IPv6", {
		"pool a 10.0.0.0/24", "pool b 2001:db8::/64",
		"svc a/a fam=6 -> 2001:db8::",
		"svc a/b fam=6 -> 2001:db8::1",
	} },
	{ "unreadable status is replaced (nolbIPsIPFamily)", {
		"pool d 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a status=10.0.9.5;10.0.9.6 -> 10.0.9.0",
		"event nolbIPsIPFamily Failed to retrieve LBIPs IPFamily for [\"10.0.9.5\" \"10.0.9.6\"]: IPFamilyForAddresses: same address family",
		"svc a/b status=bogus -> 10.0.9.1",
		"event nolbIPsIPFamily IPFamilyForAddresses: Invalid address [\"bogus\"]",
	} },
	{ "status of the wrong family is replaced", {
		"pool d 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a fam=6 status=10.0.9.5 -> 2001:db8:9::",
	} },
	{ "loadBalancerIPs with one IP per family", {
		"pool d 10.0.9.0/24,2001:db8:9::/120",
		"svc a/a fam=46 policy=require ips=2001:db8:9::7;10.0.9.7 -> 10.0.9.7,2001:db8:9::7",
		"svc a/b fam=46 policy=require ips=10.0.9.8 -> fail:does not match the ipFamily",
	} },
	{ "dual-stack requested IPs must share one pool", {
		"pool a 10.0.9.0/24", "pool b 2001:db8:9::/120",
		"svc a/a fam=46 policy=require ips=10.0.9.7;2001:db8:9::7 -> fail:is not allowed in config",
	} },
};

static void test_dual_stack(void **state)
{
	RUN_ALL(dual_cases);
}

static const struct scenario annotation_cases[] = {
	{ "deprecated annotations are honoured and reported", {
		"pool alpha 10.0.1.0/24", "pool beta 10.0.2.0/24",
		"svc a/a dep-pool=beta -> 10.0.2.0", "deprecated 1",
		"svc a/b dep-pool=beta pool=alpha -> 10.0.1.0", "deprecated 1",
		"svc a/c dep-share=k ports=TCP/1 -> 10.0.1.1", "deprecated 4",
		"svc a/d share=k ports=TCP/2 -> 10.0.1.1", "deprecated 0",
		"svc a/e dep-ips=10.0.2.9 -> 10.0.2.9", "deprecated 2",
	} },
};

static void test_annotations_and_class(void **state)
{
	RUN_ALL(annotation_cases);
	static const struct {
		const char *svc, *mine;
		bool handled;
	} classes[] = {
		{ NULL, NULL, true }, { "", NULL, true }, { "x", NULL, false },
		{ NULL, "x", false }, { "x", "x", true }, { "y", "x", false },
	};
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		assert_int_equal(svc_class_handled(classes[i].svc, classes[i].mine), classes[i].handled);
	assert_string_equal(svc_deprecated_key(ALLOC_DEPRECATED_LB_IPS),
			    "metallb.universe.tf/loadBalancerIPs");
	assert_string_equal(svc_replacement_key(ALLOC_DEPRECATED_ALLOW_SHARED),
			    "metallb.io/allow-shared-ip");
	assert_null(svc_deprecated_key(0));
}

static const struct scenario restart_cases[] = {
	{ "restart: imported IPs are kept, a pending Service gets a new one", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1", "svc a/c -> 10.0.0.2",
		"del a/a",
		"restart",
		"svc a/new -> 10.0.0.0",
		"svc a/c -> 10.0.0.2", "noevent IPAllocated",
		"svc a/b -> 10.0.0.1",
	} },
	{ "restart without import would renumber (why import exists)", {
		"pool p 10.0.0.0/24",
		"svc a/b -> 10.0.0.0",
		"restart-noimport",
		"svc a/new -> 10.0.0.0",
		"svc a/b -> 10.0.0.1",
		"event ClearAssignment current IP for \"a/b\" not allowed by config",
	} },
	{ "restart: import refuses IPs no longer valid", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0", "svc a/x -> 10.0.0.1", "svc a/z -> 10.0.0.2",
		"newconfig", "pool p 10.0.0.0/31", "pool q 10.0.5.0/24", "apply",
		"cleared a/z",
		"restart",
		"import a/a yes", "import a/z no",
		"svc a/z -> 10.0.5.0",
		"event ClearAssignment current IP for \"a/z\" not allowed by config",
		"svc a/y status=192.0.2.1 -> 10.0.5.1",
	} },
	{ "restart: shared IPs come back shared", {
		"pool p 10.0.0.0/24",
		"svc a/a share=k ports=TCP/1 -> 10.0.0.0",
		"svc a/b share=k ports=TCP/2 -> 10.0.0.0",
		"restart",
		"svc a/c -> 10.0.0.1",
		"svc a/d share=k ports=TCP/3 -> 10.0.0.0",
	} },
	{ "growing a pool renumbers nothing", {
		"pool p 10.0.0.0/31",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1", "svc a/c -> fail:no available IPs",
		"newconfig", "pool p 10.0.0.0/29", "apply",
		"cleared ",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1", "svc a/c -> 10.0.0.2",
	} },
	{ "shrinking a pool clears what falls outside", {
		"pool p 10.0.0.0/29",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1", "svc a/c -> 10.0.0.2",
		"newconfig", "pool p 10.0.0.0/31", "apply",
		"cleared a/c",
		"svc a/c -> fail:no available IPs",
		"event ClearAssignment current IP for \"a/c\" not allowed by config",
	} },
	{ "a renamed pool keeps its assignments", {
		"pool old 10.0.0.0/24",
		"svc a/a -> 10.0.0.0",
		"newconfig", "pool new 10.0.0.0/24", "apply",
		"cleared ",
		"svc a/a -> 10.0.0.0", "frompool new",
	} },
	{ "turning on avoidBuggyIPs clears .0", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1",
		"newconfig", "pool p 10.0.0.0/24 buggy", "apply",
		"cleared a/a",
		"svc a/a -> 10.0.0.2",
	} },
	{ "a pool restricted to another namespace: cleared at the next sync", {
		"pool p 10.0.0.0/24", "pool q 10.0.1.0/24",
		"svc a/a -> 10.0.0.0",
		"newconfig", "pool p 10.0.0.0/24 ns=other", "pool q 10.0.1.0/24", "apply",
		"cleared ",
		"svc a/a -> 10.0.1.0",
		"event ClearAssignment pool p not compatible for ip assignment",
	} },
	{ "a deleted pool clears its Services; the other pool's stay", {
		"pool p 10.0.0.0/24", "pool q 10.0.1.0/24",
		"svc a/a pool=p -> 10.0.0.0", "svc a/b pool=q -> 10.0.1.0",
		"newconfig", "pool q 10.0.1.0/24", "apply",
		"cleared a/a",
		"svc a/b pool=q -> 10.0.1.0", "changed no",
		"svc a/a pool=p -> fail:unknown pool \"p\"",
	} },
	{ "a Service that fails again keeps its place in the pending list", {
		"pool p 10.0.0.0/32",
		"svc a/a -> 10.0.0.0",
		"svc a/b -> fail:no available IPs", "svc a/c -> fail:no available IPs",
		"svc a/b -> fail:no available IPs",
		"pending a/b,a/c",
	} },
	{ "autoAssign turned off keeps existing assignments", {
		"pool p 10.0.0.0/24",
		"svc a/a -> 10.0.0.0",
		"newconfig", "pool p 10.0.0.0/24 manual", "apply",
		"svc a/a -> 10.0.0.0",
		"svc a/b -> fail:no available IPs",
	} },
	{ "no pools: pending, then assigned when a pool appears", {
		"apply",
		"svc a/a -> ",
		"pending a/a",
		"newconfig", "pool p 10.0.0.0/24", "apply",
		"svc a/a -> 10.0.0.0",
		"pending ",
	} },
};

static void test_restart_and_config_changes(void **state)
{
	RUN_ALL(restart_cases);
}

static const struct scenario exhaustion_cases[] = {
	{ "exhausted pool: pending until another Service is deleted", {
		"pool p 10.0.0.0/31",
		"svc a/a -> 10.0.0.0", "svc a/b -> 10.0.0.1",
		"svc a/c -> fail:no available IPs",
		"event AllocationFailed Failed to allocate IP for \"a/c\": no available IPs",
		"svc a/d -> fail:no available IPs",
		"pending a/c,a/d",
		"del a/a",
		"pending a/c,a/d",
		"svc a/c -> 10.0.0.0",
		"pending a/d",
		"del a/d",
		"pending ",
	} },
	{ "a pending Service that becomes ClusterIP is no longer pending", {
		"pool p 10.0.0.0/32",
		"svc a/a -> 10.0.0.0",
		"svc a/b -> fail:no available IPs",
		"svc a/b type=cluster -> -",
		"pending ",
	} },
};

static void test_exhaustion(void **state)
{
	RUN_ALL(exhaustion_cases);
}
