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
		"                        seconds before withdrawing (default 0: withdraw at once)\n"
		"  --metrics-addr A      serve /metrics, /healthz, /readyz on host:port (default: off)\n"
		"  --control-socket P    answer `ingot status` on this unix socket (default: off)\n"
		"  --ml-secret-key-path P  failure detection key: a file, or a directory with a file\n"
		"                        `secretkey` (MetalLB's memberlist Secret; default\n"
		"                        $METALLB_ML_SECRET_KEY_PATH; none: Node conditions decide)\n"
		"  --ml-bind-addr A      failure detection address (default: this node's InternalIP,\n"
		"                        else 0.0.0.0)\n"
		"  --ml-bind-port N      failure detection UDP port (default 7946)\n"
		"  --ml-probe-interval-ms N  protocol period (default 100)\n"
		"  --ml-probe-timeout-ms N   direct probe timeout (default 50)\n"
		"  --ml-indirect-checks N    members asked to probe indirectly (default 3)\n"
		"  --ml-suspicion-mult N     suspicion timeout in protocol periods x log10(nodes)\n"
		"                        (default 3)\n"
		"  --ml-disable          no failure detection: Node conditions decide\n"
		"  --log-format F        text or json (default text)\n"
		"  --log-level L         debug, info, warn or error (default info)\n");
}

static struct spkd_k8s *spk;
static bool stopping;

static void stopped(void *arg)
{
	loop_stop();
}

static void on_signal(int signo, void *arg)
{
	if (stopping)
		return;
	stopping = true;
	log_info("speaker", "signal received, stopping", "signal=%d", signo);
	spkd_k8s_shutdown(spk, stopped, NULL);
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
		{ "metrics-addr", required_argument, NULL, 'M' },
		{ "control-socket", required_argument, NULL, 'S' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "ml-secret-key-path", required_argument, NULL, 1000 },
		{ "ml-bind-addr", required_argument, NULL, 1001 },
		{ "ml-bind-port", required_argument, NULL, 1002 },
		{ "ml-probe-interval-ms", required_argument, NULL, 1003 },
		{ "ml-probe-timeout-ms", required_argument, NULL, 1004 },
		{ "ml-indirect-checks", required_argument, NULL, 1005 },
		{ "ml-suspicion-mult", required_argument, NULL, 1006 },
		{ "ml-disable", no_argument, NULL, 1007 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kubeconfig = NULL, *context = NULL;
	struct spkd_k8s_options o = { .node_name = getenv("NODE_NAME"),
				      .namespace = "metallb-system", .configmap = "config" };
	const char *metrics_addr = NULL, *control_path = NULL;
	enum log_level level = LOGL_INFO;
	enum log_format format = LOG_FORMAT_TEXT;
	optind = 1;
	spkd_members_options_defaults(&o.ml);
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		bool ok = true;
		char *end = NULL;
		long v;
		switch (ch) {
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
		case 'f': ok = log_format_parse(optarg, &format); break;
		case 'l': ok = log_level_parse(optarg, &level); break;
		case 'M': metrics_addr = optarg; break;
		case 1000: case 1001: case 1002: case 1003: case 1004: case 1005: case 1006:
		case 1007:
			ok = spkd_members_option(&o.ml, longopts[li].name, optarg);
			break;
		case 'S': control_path = optarg; break;
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
	log_setup(level, format, stderr);
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
	spk = spkd_k8s_new(client, &o);
	struct spkd_ops *ops = NULL;
	if (metrics_addr) {
		char oerr[256];
		ops = spkd_ops_new(metrics_addr, spkd_k8s_daemon(spk), spkd_k8s_api_ok, spk, oerr,
				   sizeof(oerr));
		if (!ops)
			log_error("speaker", "cannot serve metrics", "reason=%s", oerr);
		else
			spkd_members_metrics(spkd_k8s_members(spk), spkd_ops_metrics(ops));
	}
	struct spkd_control *ctl = NULL;
	if (control_path) {
		char cerr[256];
		ctl = spkd_control_new(control_path, spkd_k8s_daemon(spk), spkd_k8s_members(spk), cerr,
				       sizeof(cerr));
		if (!ctl)
			log_error("speaker", "cannot open the control socket", "path=%s reason=%s",
				  control_path, cerr);
	}
	struct sigwatch *term = sigwatch_new(SIGTERM, on_signal, NULL);
	struct sigwatch *intr = sigwatch_new(SIGINT, on_signal, NULL);
	signal(SIGPIPE, SIG_IGN);
	spkd_k8s_start(spk);
	int rc = loop_run() == 0 ? 0 : 1;
	spkd_control_free(ctl);
	spkd_ops_free(ops);
	spkd_k8s_free(spk);
	spk = NULL;
	k8s_client_free(client);
	sigwatch_free(term);
	sigwatch_free(intr);
	loop_free();
	log_info("speaker", "stopped", "rc=%d", rc);
	return rc;
}
