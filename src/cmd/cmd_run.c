/*
 * `ingot run`: allocation and announcement in one process, without Kubernetes, from YAML files
 * (src/speaker/spkd_run.h does the work). Option parsing and process lifetime only.
 *
 *   ingot run -f FILE|DIR [-f FILE|DIR]... [--node-name N] [--lb-class C] [--gshut-wait S]
 *             [--metrics-addr HOST:PORT] [--control-socket PATH]
 *             [--log-format json|text]
 *             [--log-level debug|info|warn|error]
 *             [--ml-secret-key-path P] [--ml-bind-addr A] [--ml-bind-port N]
 *             [--ml-probe-interval-ms N] [--ml-probe-timeout-ms N]
 *             [--ml-indirect-checks N] [--ml-suspicion-mult N] [--ml-disable]
 *
 * The files hold MetalLB's configuration (legacy ConfigMap or metallb.io objects), Services and,
 * optionally, EndpointSlices and Nodes. --node-name defaults to $NODE_NAME, else the host name.
 * SIGHUP reloads the files (an invalid set leaves everything as it is). SIGTERM or SIGINT:
 * LEAVE to the other nodes (with --ml-*, failure detection between the Node objects' nodes),
 * withdraw everything, exit 0. Exit 1 when the files are invalid at start.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/xalloc.h"
#include "speaker/spkd.h"
#include "speaker/spkd_members.h"
#include "speaker/spkd_run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ingot run -f FILE|DIR [-f FILE|DIR]... [options]\n"
		"\n"
		"  -f, --file P          a YAML/JSON file, or a directory of *.yaml *.yml *.json\n"
		"  --node-name N         this node's name (default $NODE_NAME, else the host name)\n"
		"  --lb-class C          handle only Services of this loadBalancerClass\n"
		"  --gshut-wait S        on stop, RFC 8326 graceful shutdown for S seconds first\n"
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
		"  --log-level L         debug, info, warn or error (default info)\n"
		"\nSIGHUP reloads the files; invalid files leave the running state untouched.\n");
}

static struct spkd_run *run;
static bool stopping;

static void stopped(void *arg)
{
	loop_stop();
}

static void on_signal(int signo, void *arg)
{
	if (signo == SIGHUP) {
		if (!stopping) {
			log_info("run", "SIGHUP: reloading the files", "%s", "");
			spkd_run_reload(run);
		}
		return;
	}
	if (stopping)
		return;
	stopping = true;
	log_info("run", "signal received, stopping", "signal=%d", signo);
	spkd_run_shutdown(run, stopped, NULL);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "lb-class", required_argument, NULL, 'C' },
		{ "gshut-wait", required_argument, NULL, 'g' },
		{ "metrics-addr", required_argument, NULL, 'M' },
		{ "control-socket", required_argument, NULL, 'S' },
		{ "log-format", required_argument, NULL, 'F' },
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
	char **paths = xcalloc((size_t)argc + 1, sizeof(*paths));
	struct spkd_run_options o = { .node_name = getenv("NODE_NAME"), .paths = paths };
	const char *metrics_addr = NULL, *control_path = NULL;
	enum log_level level = LOGL_INFO;
	enum log_format format = LOG_FORMAT_TEXT;
	optind = 1;
	spkd_members_options_defaults(&o.ml);
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "hf:", longopts, &li)) != -1) {
		bool ok = true;
		char *end = NULL;
		long v;
		switch (ch) {
		case 'f': paths[o.npaths++] = optarg; break;
		case 'N': o.node_name = optarg; break;
		case 'C': o.lb_class = optarg; break;
		case 'g':
			v = strtol(optarg, &end, 10);
			ok = end && !*end && v >= 0 && v <= 3600;
			o.gshut_wait = (uint16_t)(ok ? v : 0);
			break;
		case 'F': ok = log_format_parse(optarg, &format); break;
		case 'l': ok = log_level_parse(optarg, &level); break;
		case 'M': metrics_addr = optarg; break;
		case 1000: case 1001: case 1002: case 1003: case 1004: case 1005: case 1006:
		case 1007:
			ok = spkd_members_option(&o.ml, longopts[li].name, optarg);
			break;
		case 'S': control_path = optarg; break;
		case 'h': usage(stdout); free(paths); return 0;
		default: usage(stderr); free(paths); return 2;
		}
		if (!ok) {
			fprintf(stderr, "ingot run: invalid option value: %s\n", optarg);
			free(paths);
			return 2;
		}
	}
	if (optind < argc || o.npaths == 0) {
		usage(stderr);
		free(paths);
		return 2;
	}
	char host[256] = "";
	if (!o.node_name || !*o.node_name) {
		if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
			snprintf(host, sizeof(host), "localhost");
		o.node_name = host;
	}
	log_setup(level, format, stderr);
	loop_init();
	signal(SIGPIPE, SIG_IGN);
	run = spkd_run_new(&o);
	int rc = 1;
	log_info("run", "starting", "node=%s files=%zu", o.node_name, o.npaths);
	struct spkd_ops *ops = NULL;
	if (metrics_addr) {
		char oerr[256];
		ops = spkd_ops_new(metrics_addr, spkd_run_daemon(run), NULL, NULL, oerr, sizeof(oerr));
		if (!ops)
			log_error("run", "cannot serve metrics", "reason=%s", oerr);
		else
			spkd_members_metrics(spkd_run_members(run), spkd_ops_metrics(ops));
	}
	struct spkd_control *ctl = NULL;
	if (control_path) {
		char cerr[256];
		ctl = spkd_control_new(control_path, spkd_run_daemon(run), spkd_run_members(run), cerr,
				       sizeof(cerr));
		if (!ctl)
			log_error("run", "cannot open the control socket", "path=%s reason=%s",
				  control_path, cerr);
	}
	if (spkd_run_reload(run)) {
		struct sigwatch *term = sigwatch_new(SIGTERM, on_signal, NULL);
		struct sigwatch *intr = sigwatch_new(SIGINT, on_signal, NULL);
		struct sigwatch *hup = sigwatch_new(SIGHUP, on_signal, NULL);
		rc = loop_run() == 0 ? 0 : 1;
		sigwatch_free(term);
		sigwatch_free(intr);
		sigwatch_free(hup);
	}
	spkd_control_free(ctl);
	spkd_ops_free(ops);
	spkd_run_free(run);
	run = NULL;
	loop_free();
	free(paths);
	log_info("run", "stopped", "rc=%d", rc);
	return rc;
}
