/*
 * `ingot speaker`: one per node; announces this node's share of the Service IPs over BGP and
 * answers ARP/NDP for the IPs it is elected for (src/speaker does the work). Option parsing and
 * process lifetime only.
 *
 *   ingot speaker --node-name N [--kubeconfig F] [--context C] [--namespace metallb-system]
 *                 [--configmap config] [--lb-class C] [--gshut-wait S]
 *                 [--metrics-addr HOST:PORT] [--control-socket PATH]
 *                 [--log-format json|text]
 *                 [--log-level debug|info|warn|error]
 *                 [--ml-secret-key-path P] [--ml-bind-addr A] [--ml-bind-port N]
 *                 [--ml-probe-interval-ms N] [--ml-probe-timeout-ms N]
 *                 [--ml-indirect-checks N] [--ml-suspicion-mult N] [--ml-disable]
 *
 * --node-name defaults to $NODE_NAME (as MetalLB's DaemonSet sets it from spec.nodeName).
 * --ml-*: failure detection between speakers (SWIM + Lifeguard over authenticated UDP, see
 * src/speaker/spkd_members.h); without a key the Node conditions decide which speakers are live.
 * SIGTERM or SIGINT: send LEAVE to the other speakers, stop answering ARP/NDP, withdraw the BGP
 * routes (after an RFC 8326 graceful-shutdown period of --gshut-wait seconds when given), close
 * the sessions, exit 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/commands.h"
#include "cmd/daemon.h"
#include "core/log.h"
#include "core/loop.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"
#include "speaker/spkd_k8s.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ingot speaker --node-name N [options]\n"
		"\n"
		"  --node-name N         this node's name (default $NODE_NAME)\n"
		"  --kubeconfig F        kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)\n"
		"  --context C           kubeconfig context (default: current-context)\n"
		"  --namespace NS        where the configuration lives (default metallb-system)\n"
		"  --configmap NAME      the legacy ConfigMap's name (default config)\n"
		"  --lb-class C          handle only Services of this loadBalancerClass\n"
		"                        (default: only Services without one)\n"
		"  --gshut-wait S        on stop, announce with GRACEFUL_SHUTDOWN (RFC 8326) for S\n"
		"                        seconds before withdrawing (default 0: withdraw at once)\n");
	daemon_usage_ml(out);
	daemon_usage(out);
}

static void stopped(void *arg)
{
	loop_stop();
}

/* SIGTERM: withdraw (spkd_k8s_shutdown), then leave the loop. */
static void stop(void *arg)
{
	spkd_k8s_shutdown(arg, stopped, NULL);
}

int cmd_speaker(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node-name", required_argument, NULL, 'N' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "configmap", required_argument, NULL, 'm' },
		{ "lb-class", required_argument, NULL, 'C' },
		{ "gshut-wait", required_argument, NULL, 'g' },
		DAEMON_LONGOPTS,
		DAEMON_ML_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kubeconfig = NULL, *context = NULL;
	struct spkd_k8s_options o = { .node_name = getenv("NODE_NAME"),
				      .namespace = "metallb-system", .configmap = "config" };
	struct daemon_opts d;
	daemon_opts_defaults(&d);
	optind = 1;
	spkd_members_options_defaults(&o.ml);
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		enum daemon_opt_result r = daemon_option(&d, &o.ml, ch, longopts[li].name, optarg);
		bool ok = r != DAEMON_OPT_BAD;
		char *end = NULL;
		long v;
		if (r != DAEMON_OPT_NOT_OURS)
			ch = 0;
		switch (ch) {
		case 0: break;
		case 'N': o.node_name = optarg; break;
		case 'k': kubeconfig = optarg; break;
		case 'c': context = optarg; break;
		case 'n': o.namespace = optarg; break;
		case 'm': o.configmap = optarg; break;
		case 'C': o.lb_class = optarg; break;
		case 'g':
			v = strtol(optarg, &end, 10);
			ok = end && !*end && v >= 0 && v <= 3600;
			o.gshut_wait = (uint16_t)(ok ? v : 0);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "ingot speaker: invalid option value: %s\n", optarg);
			return 2;
		}
	}
	if (optind < argc || !o.node_name || !*o.node_name) {
		if (optind == argc)
			fprintf(stderr, "ingot speaker: --node-name (or $NODE_NAME) is required\n");
		usage(stderr);
		return 2;
	}
	log_setup(d.level, d.format, stderr);
	struct k8s_config cfg;
	char err[K8S_ERRLEN];
	if (!k8s_config_auto(kubeconfig, context, &cfg, err)) {
		log_error("speaker", "cannot find the API server", "reason=%s", err);
		return 1;
	}
	loop_init();
	struct k8s_client *client = k8s_client_new(&cfg, NULL);
	log_info("speaker", "API server", "server=%s context=%s", cfg.server, cfg.context);
	k8s_config_free(&cfg);
	struct spkd_k8s *spk = spkd_k8s_new(client, &o);
	struct spkd_ops *ops = NULL;
	if (d.metrics_addr) {
		char oerr[256];
		ops = spkd_ops_new(d.metrics_addr, spkd_k8s_daemon(spk), spkd_k8s_api_ok, spk, oerr,
				   sizeof(oerr));
		if (!ops)
			log_error("speaker", "cannot serve metrics", "reason=%s", oerr);
		else
			spkd_members_metrics(spkd_k8s_members(spk), spkd_ops_metrics(ops));
	}
	struct spkd_control *ctl = NULL;
	if (d.control_path) {
		char cerr[256];
		ctl = spkd_control_new(d.control_path, spkd_k8s_daemon(spk), spkd_k8s_members(spk), cerr,
				       sizeof(cerr));
		if (!ctl)
			log_error("speaker", "cannot open the control socket", "path=%s reason=%s",
				  d.control_path, cerr);
	}
	struct daemon_signals *sig = daemon_signals_new("speaker", stop, spk);
	spkd_k8s_start(spk);
	int rc = loop_run() == 0 ? 0 : 1;
	spkd_control_free(ctl);
	spkd_ops_free(ops);
	daemon_signals_free(sig);
	spkd_k8s_free(spk);
	k8s_client_free(client);
	loop_free();
	log_info("speaker", "stopped", "rc=%d", rc);
	return rc;
}
