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
#include "cmd/daemon.h"
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
		"  --gshut-wait S        on stop, RFC 8326 graceful shutdown for S seconds first\n");
	daemon_usage_ml(out);
	daemon_usage(out);
	fprintf(out, "\nSIGHUP reloads the files; invalid files leave the running state untouched.\n");
}

static void stopped(void *arg)
{
	loop_stop();
}

/* SIGTERM: withdraw (spkd_run_shutdown), then leave the loop. */
static void stop(void *arg)
{
	spkd_run_shutdown(arg, stopped, NULL);
}

static struct daemon_signals *sig;

static void on_hup(int signo, void *arg)
{
	if (daemon_signals_stopping(sig))
		return;
	log_info("run", "SIGHUP: reloading the files", "%s", "");
	spkd_run_reload(arg);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "lb-class", required_argument, NULL, 'C' },
		{ "gshut-wait", required_argument, NULL, 'g' },
		DAEMON_LONGOPTS,
		DAEMON_ML_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **paths = xcalloc((size_t)argc + 1, sizeof(*paths));
	struct spkd_run_options o = { .node_name = getenv("NODE_NAME"), .paths = paths };
	struct daemon_opts d;
	daemon_opts_defaults(&d);
	optind = 1;
	spkd_members_options_defaults(&o.ml);
	int ch, li = 0;
	while ((ch = getopt_long(argc, argv, "hf:", longopts, &li)) != -1) {
		enum daemon_opt_result r = daemon_option(&d, &o.ml, ch, longopts[li].name, optarg);
		bool ok = r != DAEMON_OPT_BAD;
		char *end = NULL;
		long v;
		if (r != DAEMON_OPT_NOT_OURS)
			ch = 0;
		switch (ch) {
		case 0: break;
		case 'f': paths[o.npaths++] = optarg; break;
		case 'N': o.node_name = optarg; break;
		case 'C': o.lb_class = optarg; break;
		case 'g':
			v = strtol(optarg, &end, 10);
			ok = end && !*end && v >= 0 && v <= 3600;
			o.gshut_wait = (uint16_t)(ok ? v : 0);
			break;
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
	log_setup(d.level, d.format, stderr);
	loop_init();
	struct spkd_run *run = spkd_run_new(&o);
	int rc = 1;
	log_info("run", "starting", "node=%s files=%zu", o.node_name, o.npaths);
	struct spkd_ops *ops = NULL;
	if (d.metrics_addr) {
		char oerr[256];
		ops = spkd_ops_new(d.metrics_addr, spkd_run_daemon(run), NULL, NULL, oerr, sizeof(oerr));
		if (!ops)
			log_error("run", "cannot serve metrics", "reason=%s", oerr);
		else
			spkd_members_metrics(spkd_run_members(run), spkd_ops_metrics(ops));
	}
	struct spkd_control *ctl = NULL;
	if (d.control_path) {
		char cerr[256];
		ctl = spkd_control_new(d.control_path, spkd_run_daemon(run), spkd_run_members(run), cerr,
				       sizeof(cerr));
		if (!ctl)
			log_error("run", "cannot open the control socket", "path=%s reason=%s",
				  d.control_path, cerr);
	}
	if (spkd_run_reload(run)) {
		sig = daemon_signals_new("run", stop, run);
		struct sigwatch *hup = sigwatch_new(SIGHUP, on_hup, run);
		rc = loop_run() == 0 ? 0 : 1;
		daemon_signals_free(sig);
		sig = NULL;
		sigwatch_free(hup);
	}
	spkd_control_free(ctl);
	spkd_ops_free(ops);
	spkd_run_free(run);
	loop_free();
	free(paths);
	log_info("run", "stopped", "rc=%d", rc);
	return rc;
}
