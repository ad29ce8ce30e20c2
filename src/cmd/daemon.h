/*
 * What the three daemons (`ingot controller`, `ingot speaker`, `ingot run`) share, so their flags
 * mean the same and read the same in --help: logging, the operations endpoints, the failure
 * detector's --ml-* flags (speaker and run), and a stop that runs once on SIGTERM or SIGINT.
 */
#ifndef INGOT_CMD_DAEMON_H
#define INGOT_CMD_DAEMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/log.h"
#include "speaker/spkd_members.h"

/* getopt_long codes of the shared options, above any short option character. */
enum {
	DOPT_LOG_FORMAT = 1000,
	DOPT_LOG_LEVEL,
	DOPT_METRICS_ADDR,
	DOPT_CONTROL_SOCKET,
	DOPT_ML,                 /* every --ml-* flag; its name tells which */
};

#define DAEMON_LONGOPTS \
	{ "log-format", required_argument, NULL, DOPT_LOG_FORMAT }, \
	{ "log-level", required_argument, NULL, DOPT_LOG_LEVEL }, \
	{ "metrics-addr", required_argument, NULL, DOPT_METRICS_ADDR }, \
	{ "control-socket", required_argument, NULL, DOPT_CONTROL_SOCKET }

#define DAEMON_ML_LONGOPTS \
	{ "ml-secret-key-path", required_argument, NULL, DOPT_ML }, \
	{ "ml-bind-addr", required_argument, NULL, DOPT_ML }, \
	{ "ml-bind-port", required_argument, NULL, DOPT_ML }, \
	{ "ml-probe-interval-ms", required_argument, NULL, DOPT_ML }, \
	{ "ml-probe-timeout-ms", required_argument, NULL, DOPT_ML }, \
	{ "ml-indirect-checks", required_argument, NULL, DOPT_ML }, \
	{ "ml-suspicion-mult", required_argument, NULL, DOPT_ML }, \
	{ "ml-disable", no_argument, NULL, DOPT_ML }

struct daemon_opts {
	enum log_level level;            /* info */
	enum log_format format;          /* text */
	const char *metrics_addr;        /* NULL: no /metrics /healthz /readyz */
	const char *control_path;        /* NULL: no control socket */
};

void daemon_opts_defaults(struct daemon_opts *d);

enum daemon_opt_result { DAEMON_OPT_NOT_OURS, DAEMON_OPT_OK, DAEMON_OPT_BAD };
/* Takes getopt_long's code and the option's long name; ml may be NULL (no --ml-* flags). */
enum daemon_opt_result daemon_option(struct daemon_opts *d, struct spkd_members_options *ml, int ch,
				     const char *name, const char *arg);

/* The --help lines of DAEMON_LONGOPTS and of DAEMON_ML_LONGOPTS. */
void daemon_usage(FILE *out);
void daemon_usage_ml(FILE *out);

/* SIGTERM and SIGINT run stop(arg) once, after logging it under component; SIGPIPE is ignored
 * (a closed control or metrics connection must not end the process). After loop_init(). */
struct daemon_signals;
struct daemon_signals *daemon_signals_new(const char *component, void (*stop)(void *arg), void *arg);
void daemon_signals_free(struct daemon_signals *s);
/* True once the stop ran (a SIGHUP reload must not re-announce during a shutdown). */
bool daemon_signals_stopping(const struct daemon_signals *s);

#endif
