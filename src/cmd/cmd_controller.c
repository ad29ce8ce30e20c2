/*
 * `ingot controller`: assigns LoadBalancer IPs to Services and writes their status (one per
 * cluster; src/controller does the work). Option parsing and process lifetime only.
 *
 *   ingot controller [--kubeconfig F] [--context C] [--namespace metallb-system]
 *                    [--configmap config] [--lb-class C] [--log-format json|text]
 *                    [--log-level debug|info|warn|error] [--leader-elect] [--lease-name N]
 *                    [--identity ID] [--lease-duration S] [--renew-deadline S] [--retry-period S]
 *                    [--metrics-addr HOST:PORT] [--control-socket PATH]
 *                    [--ml-secret-name NAME | --no-ml-secret]
 *
 * The API server is found as controller-runtime does (k8s/kubeconfig.h: --kubeconfig, then
 * $KUBECONFIG, then in-cluster, then ~/.kube/config). Leader-election periods are seconds
 * (fractions allowed) and default to client-go's 15/10/2. SIGTERM or SIGINT: stop writing,
 * release the Lease if held, exit 0. The operations endpoints are src/controller/ctl_ops.h; the
 * memberlist Secret is created when missing unless --no-ml-secret (ml_secret.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/daemon.h"
#include "controller/controller.h"
#include "controller/ctl_ops.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ingot controller [options]\n"
		"\n"
		"  --kubeconfig F        kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)\n"
		"  --context C           kubeconfig context (default: current-context)\n"
		"  --namespace NS        where the configuration lives (default metallb-system)\n"
		"  --configmap NAME      the legacy ConfigMap's name (default config)\n"
		"  --lb-class C          handle only Services of this loadBalancerClass\n"
		"                        (default: only Services without one)\n"
		"  --leader-elect        run several replicas; one leads, through a Lease\n"
		"  --lease-name N        the Lease's name (default ingot-controller)\n"
		"  --identity ID         this replica's name in the Lease (default hostname_random)\n"
		"  --lease-duration S    seconds (default 15)\n"
		"  --renew-deadline S    seconds (default 10)\n"
		"  --retry-period S      seconds (default 2)\n"
		"  --ml-secret-name N    the speakers' memberlist Secret, created in the namespace\n"
		"                        when missing, never overwritten (default memberlist)\n"
		"  --no-ml-secret        do not create the memberlist Secret\n");
	daemon_usage(out);
}

static void stopped(void *arg)
{
	loop_stop();
}

/* SIGTERM: stop writing and release the Lease (controller_shutdown), then leave the loop. */
static void stop(void *arg)
{
	controller_shutdown(arg, stopped, NULL);
}

static bool parse_seconds(const char *text, monotime *out)
{
	char *end = NULL;
	double s = strtod(text, &end);
	if (!end || *end || !(s > 0) || s > 3600)
		return false;
	*out = mono_from_ns((int64_t)(s * 1e9));
	return true;
}

static char *default_identity(void)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "ingot");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	srandom((unsigned)(ts.tv_nsec ^ (long)getpid()));
	return xasprintf("%s_%08lx", host, (unsigned long)random());
}

int cmd_controller(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "configmap", required_argument, NULL, 'm' },
		{ "lb-class", required_argument, NULL, 'C' },
		DAEMON_LONGOPTS,
		{ "leader-elect", no_argument, NULL, 'L' },
		{ "lease-name", required_argument, NULL, 'N' },
		{ "identity", required_argument, NULL, 'i' },
		{ "lease-duration", required_argument, NULL, 'D' },
		{ "renew-deadline", required_argument, NULL, 'R' },
		{ "retry-period", required_argument, NULL, 'P' },
		{ "ml-secret-name", required_argument, NULL, 's' },
		{ "no-ml-secret", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kubeconfig = NULL, *context = NULL, *identity = NULL;
	struct daemon_opts d;
	daemon_opts_defaults(&d);
	struct ctl_options o = { .namespace = "metallb-system", .configmap = "config",
				 .lease_name = "ingot-controller", .ml_secret_name = "memberlist" };
	le_timing_default(&o.timing);
	optind = 1;
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		enum daemon_opt_result r = daemon_option(&d, NULL, ch, longopts[li].name, optarg);
		bool ok = r != DAEMON_OPT_BAD;
		if (r != DAEMON_OPT_NOT_OURS)
			ch = 0;
		switch (ch) {
		case 0: break;
		case 'k': kubeconfig = optarg; break;
		case 'c': context = optarg; break;
		case 'n': o.namespace = optarg; break;
		case 'm': o.configmap = optarg; break;
		case 'C': o.lb_class = optarg; break;
		case 'L': o.leader_elect = true; break;
		case 'N': o.lease_name = optarg; break;
		case 'i': identity = optarg; break;
		case 'D': ok = parse_seconds(optarg, &o.timing.lease_duration); break;
		case 'R': ok = parse_seconds(optarg, &o.timing.renew_deadline); break;
		case 'P': ok = parse_seconds(optarg, &o.timing.retry_period); break;
		case 's': o.ml_secret_name = optarg; ok = *optarg != '\0'; break;
		case 'X': o.ml_secret_name = NULL; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "ingot controller: invalid option value: %s\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (o.leader_elect && !le_timing_valid(&o.timing)) {
		fprintf(stderr, "ingot controller: need lease-duration > renew-deadline > "
			"1.2 x retry-period\n");
		return 2;
	}
	log_setup(d.level, d.format, stderr);
	struct k8s_config cfg;
	char err[K8S_ERRLEN];
	if (!k8s_config_auto(kubeconfig, context, &cfg, err)) {
		log_error("controller", "cannot find the API server", "reason=%s", err);
		return 1;
	}
	char *id = identity ? xstrdup(identity) : default_identity();
	o.identity = id;
	loop_init();
	struct k8s_client *client = k8s_client_new(&cfg, NULL);
	log_info("controller", "API server", "server=%s context=%s", cfg.server, cfg.context);
	k8s_config_free(&cfg);
	struct controller *ctl = controller_new(client, &o);
	struct ctl_ops *ops = NULL;
	if (d.metrics_addr || d.control_path) {
		char oerr[256];
		ops = ctl_ops_new(ctl, d.metrics_addr, d.control_path, oerr, sizeof(oerr));
		if (!ops) {
			log_error("controller", "cannot open the operations endpoints",
				  "metrics_addr=%s control_socket=%s reason=%s",
				  d.metrics_addr ? d.metrics_addr : "",
				  d.control_path ? d.control_path : "",
				  oerr);
			controller_free(ctl);
			k8s_client_free(client);
			loop_free();
			free(id);
			return 1;
		}
	}
	struct daemon_signals *sig = daemon_signals_new("controller", stop, ctl);
	controller_start(ctl);
	int rc = loop_run() == 0 ? 0 : 1;
	ctl_ops_free(ops);
	daemon_signals_free(sig);
	controller_free(ctl);
	k8s_client_free(client);
	loop_free();
	free(id);
	log_info("controller", "stopped", "rc=%d", rc);
	return rc;
}
