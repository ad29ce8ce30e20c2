/* Shared daemon options and lifetime (see daemon.h). */
#include "cmd/daemon.h"

#include <signal.h>
#include <stdlib.h>

#include "core/loop.h"
#include "core/xalloc.h"

void daemon_opts_defaults(struct daemon_opts *d)
{
	*d = (struct daemon_opts){ .level = LOGL_INFO, .format = LOG_FORMAT_TEXT };
}

enum daemon_opt_result daemon_option(struct daemon_opts *d, struct spkd_members_options *ml, int ch,
				     const char *name, const char *arg)
{
	bool ok = true;
	switch (ch) {
	case DOPT_LOG_FORMAT: ok = log_format_parse(arg, &d->format); break;
	case DOPT_LOG_LEVEL: ok = log_level_parse(arg, &d->level); break;
	case DOPT_METRICS_ADDR: d->metrics_addr = arg; break;
	case DOPT_CONTROL_SOCKET: d->control_path = arg; break;
	case DOPT_ML:
		if (!ml)
			return DAEMON_OPT_NOT_OURS;
		ok = spkd_members_option(ml, name, arg);
		break;
	default:
		return DAEMON_OPT_NOT_OURS;
	}
	return ok ? DAEMON_OPT_OK : DAEMON_OPT_BAD;
}

void daemon_usage(FILE *out)
{
	fprintf(out,
		"  --metrics-addr A      serve /metrics, /healthz, /readyz on host:port (default: off)\n"
		"  --control-socket P    answer `ingot status` on this unix socket (default: off)\n"
		"  --log-format F        text or json (default text)\n"
		"  --log-level L         debug, info, warn or error (default info)\n");
}

void daemon_usage_ml(FILE *out)
{
	fprintf(out,
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
		"  --ml-disable          no failure detection: Node conditions decide\n");
}

struct daemon_signals {
	const char *component;
	void (*stop)(void *arg);
	void *arg;
	bool stopping;
	struct sigwatch *term, *intr;
};

static void on_signal(int signo, void *arg)
{
	struct daemon_signals *s = arg;
	if (s->stopping)
		return;
	s->stopping = true;
	log_info(s->component, "signal received, stopping", "signal=%d", signo);
	s->stop(s->arg);
}

struct daemon_signals *daemon_signals_new(const char *component, void (*stop)(void *arg), void *arg)
{
	struct daemon_signals *s = XNEW(struct daemon_signals);
	s->component = component;
	s->stop = stop;
	s->arg = arg;
	s->term = sigwatch_new(SIGTERM, on_signal, s);
	s->intr = sigwatch_new(SIGINT, on_signal, s);
	signal(SIGPIPE, SIG_IGN);
	return s;
}

bool daemon_signals_stopping(const struct daemon_signals *s)
{
	return s && s->stopping;
}

void daemon_signals_free(struct daemon_signals *s)
{
	if (!s)
		return;
	sigwatch_free(s->term);
	sigwatch_free(s->intr);
	free(s);
}
