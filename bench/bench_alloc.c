/*
 * Allocator benchmark: allocations per second and peak RSS for 100,000 Services in an IPv4 /16
 * and in an IPv6 /64 (the scale issue 4 asks for), plus churn and restart import.
 *
 * There is no C peer for the allocator alone, so besides the absolute figures the program runs a
 * naive allocator on the same input at a smaller N and prints the ratio. The naive one is MetalLB's
 * algorithm (getIPFromCIDR): walk the pool from its first address and take the first one that no
 * Service holds, with a hash set of used addresses; its results are checked to be identical.
 *
 *   bench_alloc [N] [naive_N]      defaults 100000 and 10000
 *
 * Peak RSS is VmHWM from /proc/self/status, reset between scenarios through /proc/self/clear_refs
 * (when the kernel refuses, the figure is the peak so far and says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc/alloc.h"
#include "alloc/hmap.h"
#include "alloc/u128.h"
#include "config/model.h"
#include "core/addr.h"
#include "core/xalloc.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool hwm_reset_ok;

static void hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	hwm_reset_ok = f && fputs("5", f) >= 0;
	if (f && fclose(f) != 0)
		hwm_reset_ok = false;
}

static long hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kib;
}

static struct cfg_model *one_pool(const char *range, bool avoid_buggy)
{
	struct cfg_model *m = model_new();
	struct cfg_pool *p = model_add_pool(m);
	p->meta.name = xstrdup("bench");
	p->auto_assign = true;
	p->avoid_buggy_ips = avoid_buggy;
	p->addrs = xcalloc(1, sizeof(*p->addrs));
	p->naddrs = 1;
	if (!ip_range_parse(range, &p->addrs[0].range, NULL)) {
		fprintf(stderr, "bad range %s\n", range);
		exit(1);
	}
	return m;
}

/* One reusable Service view; only the name (and status for import) change per Service. */
struct view {
	struct alloc_service v;
	struct svc_port port;
	char name[32];
	char status_text[IP_ADDR_STRLEN];
	const char *status[1];
};

static void view_init(struct view *w, enum ip_family family)
{
	memset(w, 0, sizeof(*w));
	w->v.namespace = "bench";
	w->v.name = w->name;
	w->v.type = SVC_TYPE_LOAD_BALANCER;
	w->v.families[0] = family;
	w->v.nfamilies = 1;
	w->port = (struct svc_port){ .port = 80, .protocol = SVC_PROTO_TCP };
	w->v.ports = &w->port;
	w->v.nports = 1;
	w->status[0] = w->status_text;
	w->v.status_ips = w->status;
}

static void view_name(struct view *w, size_t i)
{
	snprintf(w->name, sizeof(w->name), "svc-%zu", i);
}

struct run {
	size_t assigned, failed;
	double seconds;
	long hwm_kib;
	ip_addr *ips;              /* per Service; family IP_NONE when it failed */
};

/* Syncs n new Services (no status), recording their IPs. */
static struct run run_ingot(const struct cfg_model *m, enum ip_family family,
			    const char *share_pairs, size_t n, struct alloc **keep)
{
	struct run r = { 0 };
	r.ips = xcalloc(n, sizeof(*r.ips));
	hwm_reset();
	struct alloc *a = alloc_new();
	alloc_set_pools(a, m, NULL);
	struct view w;
	view_init(&w, family);
	struct cfg_label ann = { .key = (char *)ALLOC_ANN_ALLOW_SHARED, .value = NULL };
	char key[32];
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		view_name(&w, i);
		if (share_pairs && strcmp(share_pairs, "mixed") == 0) {
			/* One key, ports 80, 443 and 8080 in an irregular order: three per address. */
			static const uint16_t cycle[] = { 80, 443, 8080 };
			ann.value = (char *)share_pairs;
			w.v.annotations = (struct cfg_labels){ .v = &ann, .n = 1 };
			w.port.port = cycle[(i * 7 / 3) % 3];
		} else if (share_pairs && strcmp(share_pairs, "same") == 0) {
			/* One key for all, one port for all: nobody can actually share. */
			ann.value = (char *)share_pairs;
			w.v.annotations = (struct cfg_labels){ .v = &ann, .n = 1 };
		} else if (share_pairs) {
			/* Services 2k and 2k+1 share one address, on ports 80 and 443. */
			snprintf(key, sizeof(key), "%s-%zu", share_pairs, i / 2);
			ann.value = key;
			w.v.annotations = (struct cfg_labels){ .v = &ann, .n = 1 };
			w.port.port = i % 2 ? 443 : 80;
		}
		struct alloc_result res;
		alloc_sync(a, &w.v, &res);
		if (res.outcome == ALLOC_ASSIGNED) {
			r.assigned++;
			r.ips[i] = res.ips[0];
		} else {
			r.failed++;
		}
		alloc_result_free(&res);
	}
	r.seconds = now() - t0;
	r.hwm_kib = hwm_kib();
	if (keep)
		*keep = a;
	else
		alloc_free(a);
	return r;
}

/* MetalLB's algorithm: walk from the first address, take the first unused one. */
static struct run run_naive(const char *range, bool avoid_buggy, enum ip_family family, size_t n)
{
	struct run r = { 0 };
	r.ips = xcalloc(n, sizeof(*r.ips));
	ip_range rg;
	ip_range_parse(range, &rg, NULL);
	struct hmap used;
	hmap_init(&used);
	u128 lo = u128_from_addr(&rg.first), hi = u128_from_addr(&rg.last);
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (u128 v = lo; v <= hi; v++) {
			if (avoid_buggy && u128_is_buggy(family, v))
				continue;
			if (hmap_get(&used, &v, sizeof(v)))
				continue;
			hmap_put(&used, &v, sizeof(v), (void *)1);
			r.ips[i] = u128_to_addr(family, v);
			found = true;
			break;
		}
		if (found)
			r.assigned++;
		else
			r.failed++;
	}
	r.seconds = now() - t0;
	hmap_free(&used);
	return r;
}

static void print_run(const char *what, size_t n, const struct run *r)
{
	printf("  %-44s %7zu services  %7zu assigned  %6zu pending  %8.3f s  %10.0f allocs/s",
	       what, n, r->assigned, r->failed, r->seconds, (double)n / r->seconds);
	if (r->hwm_kib > 0)
		printf("  peak RSS %ld KiB%s", r->hwm_kib, hwm_reset_ok ? "" : " (process peak)");
	printf("\n");
}

static bool same_results(const struct run *x, const struct run *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (x->ips[i].family != y->ips[i].family ||
		    (x->ips[i].family && !ip_addr_eq(&x->ips[i], &y->ips[i])))
			return false;
	}
	return true;
}

static void compare(const char *label, const char *range, bool buggy, enum ip_family family,
		    size_t n)
{
	struct cfg_model *m = one_pool(range, buggy);
	struct run ours = run_ingot(m, family, NULL, n, NULL);
	model_free(m);
	struct run naive = run_naive(range, buggy, family, n);
	printf("  %s, N=%zu: ingot %.0f allocs/s, naive linear scan %.0f allocs/s, ratio %.1fx; "
	       "same addresses: %s\n", label, n, (double)n / ours.seconds,
	       (double)n / naive.seconds, naive.seconds / ours.seconds,
	       same_results(&ours, &naive, n) ? "yes" : "NO");
	free(ours.ips);
	free(naive.ips);
}

/* Deletes every tenth Service and syncs as many new ones: fragmented free space. */
static void churn(struct alloc *a, enum ip_family family, size_t n)
{
	struct view w;
	view_init(&w, family);
	size_t k = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i += 10) {
		view_name(&w, i);
		alloc_release(a, w.v.namespace, w.v.name);
		k++;
	}
	double t1 = now();
	for (size_t i = 0; i < k; i++) {
		view_name(&w, n + i);
		struct alloc_result res;
		alloc_sync(a, &w.v, &res);
		alloc_result_free(&res);
	}
	double t2 = now();
	printf("  churn: %zu releases %.0f/s, %zu re-allocations into the holes %.0f allocs/s\n", k,
	       (double)k / (t1 - t0), k, (double)k / (t2 - t1));
}

/*
 * A config change: the pool grows (nothing may move), then every Service is synced again with
 * its status, as the controller does after a reload (MetalLB reprocessAll).
 */
static void reconfigure(struct alloc *a, const char *grown, bool buggy, enum ip_family family,
			const struct run *r, size_t n)
{
	struct cfg_model *m = one_pool(grown, buggy);
	struct alloc_keys cleared;
	double t0 = now();
	alloc_set_pools(a, m, &cleared);
	double t1 = now();
	struct view w;
	view_init(&w, family);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (!r->ips[i].family)
			continue;
		view_name(&w, i);
		ip_addr_format(&r->ips[i], w.status_text, sizeof(w.status_text));
		w.v.nstatus_ips = 1;
		struct alloc_result res;
		alloc_sync(a, &w.v, &res);
		kept += res.outcome == ALLOC_ASSIGNED && !res.changed;
		alloc_result_free(&res);
	}
	double t2 = now();
	printf("  pool grown to %s: new pools installed in %.3f s (%zu cleared); re-sync of every "
	       "Service %.0f syncs/s, %zu unchanged\n", grown, t1 - t0, cleared.n,
	       (double)kept / (t2 - t1), kept);
	alloc_keys_free(&cleared);
	alloc_free(a);
	model_free(m);
}

/* A restart: a fresh allocator imports every Service's status IP. */
static void restart(const char *range, bool buggy, enum ip_family family, const struct run *r,
		    size_t n)
{
	struct cfg_model *m = one_pool(range, buggy);
	struct alloc *a = alloc_new();
	alloc_set_pools(a, m, NULL);
	struct view w;
	view_init(&w, family);
	size_t kept = 0, with_status = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		if (!r->ips[i].family)
			continue;
		with_status++;
		view_name(&w, i);
		ip_addr_format(&r->ips[i], w.status_text, sizeof(w.status_text));
		w.v.nstatus_ips = 1;
		kept += alloc_import(a, &w.v);
	}
	double dt = now() - t0;
	printf("  restart import: %zu of %zu status IPs kept, %.0f imports/s\n", kept, with_status,
	       (double)with_status / dt);
	alloc_free(a);
	model_free(m);
}

static void scenario(const char *title, const char *range, const char *grown, bool buggy,
		     enum ip_family family, size_t n)
{
	printf("%s\n", title);
	struct cfg_model *m = one_pool(range, buggy);
	struct alloc *a = NULL;
	struct run r = run_ingot(m, family, NULL, n, &a);
	print_run("new Services, one address each", n, &r);
	reconfigure(a, grown, buggy, family, &r, n);   /* frees a */
	model_free(m);
	m = one_pool(range, buggy);
	free(run_ingot(m, family, NULL, n, &a).ips);
	churn(a, family, n);
	alloc_free(a);
	model_free(m);
	restart(range, buggy, family, &r, n);
	free(r.ips);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t naive_n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	printf("ingot allocator benchmark (src/alloc), %zu Services per scenario\n\n", n);

	scenario("IPv4 10.0.0.0/16 (65,536 addresses: the rest stay pending)", "10.0.0.0/16",
		 "10.0.0.0/15", false, IP_V4, n);
	printf("IPv4 10.0.0.0/16 avoidBuggyIPs, Services in pairs sharing an address\n");
	struct cfg_model *m = one_pool("10.0.0.0/16", true);
	struct run shared = run_ingot(m, IP_V4, "pair", n, NULL);
	print_run("new Services, two per address", n, &shared);
	free(shared.ips);
	model_free(m);
	printf("IPv6 2001:db8::/64, every Service with the same sharing key and port\n");
	m = one_pool("2001:db8::/64", false);
	shared = run_ingot(m, IP_V6, "same", n, NULL);
	print_run("new Services, none can share", n, &shared);
	free(shared.ips);
	model_free(m);
	printf("IPv6 2001:db8::/64, one sharing key, ports 80/443/8080 mixed\n");
	m = one_pool("2001:db8::/64", false);
	shared = run_ingot(m, IP_V6, "mixed", n, NULL);
	print_run("new Services, up to three per address", n, &shared);
	free(shared.ips);
	model_free(m);
	scenario("IPv6 2001:db8::/64", "2001:db8::/64", "2001:db8::/63", false, IP_V6, n);

	printf("\nPeer: there is no C allocator to compare with, so the ratio is against a naive "
	       "linear-scan allocator\n(MetalLB's getIPFromCIDR walk) on the same input at "
	       "N=%zu, measured in this run\n", naive_n);
	compare("IPv4 /16", "10.0.0.0/16", false, IP_V4, naive_n);
	compare("IPv4 /16 avoidBuggyIPs", "10.0.0.0/16", true, IP_V4, naive_n);
	compare("IPv6 /64", "2001:db8::/64", false, IP_V6, naive_n);
	return 0;
}
