/*
 * Structured, one-line logs.
 *
 *   log_info("bgp", "session established", "peer=%s asn=%u", peer, asn);
 *
 * prints, in text format,
 *
 *   2026-11-25T14:00:00.123Z level=info component=bgp msg="session established" peer=10.0.0.1 asn=64500
 *
 * and, in JSON format, {"ts":"…","level":"info","component":"bgp","msg":"session established",
 * "peer":"10.0.0.1","asn":"64500"}. The fields argument is a printf format of space-separated
 * `key=value` pairs; a value runs until the next ` key=`, so values may contain spaces but never
 * ` word=` (keep remote-supplied text in the last field, or sanitise it).
 *
 * Messages caused by remote input (a peer's malformed packet, a flood of ARP requests) go through
 * log_rl(), which allows a burst and then a steady rate per call site and reports how many lines it
 * swallowed, so a hostile peer cannot fill the disk.
 */
#ifndef INGOT_CORE_LOG_H
#define INGOT_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum log_level {
	LOGL_DEBUG,
	LOGL_INFO,
	LOGL_WARN,
	LOGL_ERROR,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/* Defaults: info, text, stderr. out is borrowed. */
void log_setup(enum log_level min, enum log_format format, FILE *out);
bool log_level_parse(const char *text, enum log_level *out);
bool log_format_parse(const char *text, enum log_format *out);
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);

void log_emit(enum log_level level, const char *component, const char *msg, const char *fields, ...)
	__attribute__((format(printf, 4, 5)));

/* Token bucket for one call site; declare it static next to the log_rl() call. */
struct log_ratelimit {
	uint32_t burst;          /* lines allowed at once */
	uint32_t per_second;     /* refill rate */
	double tokens;
	int64_t last_ns;
	uint64_t suppressed;     /* lines swallowed since the last one printed */
};
#define LOG_RATELIMIT(burst_, per_second_) { .burst = (burst_), .per_second = (per_second_), \
	.tokens = (burst_), .last_ns = 0, .suppressed = 0 }

void log_rl(struct log_ratelimit *rl, enum log_level level, const char *component, const char *msg,
	    const char *fields, ...) __attribute__((format(printf, 5, 6)));

#define log_debug(comp, msg, ...) log_emit(LOGL_DEBUG, comp, msg, __VA_ARGS__)
#define log_info(comp, msg, ...)  log_emit(LOGL_INFO, comp, msg, __VA_ARGS__)
#define log_warn(comp, msg, ...)  log_emit(LOGL_WARN, comp, msg, __VA_ARGS__)
#define log_error(comp, msg, ...) log_emit(LOGL_ERROR, comp, msg, __VA_ARGS__)

/* Log at error level and exit(1): for broken local invariants and start-up failures only. */
_Noreturn void log_fatal(const char *component, const char *msg, const char *fields, ...)
	__attribute__((format(printf, 3, 4)));

#endif
