/*
 * The controller's operations endpoints (ops/http.h, ops/control.h), from what ctl_report.h builds:
 *
 *   --metrics-addr  /metrics  the families listed in ctl_report.h, computed at scrape time
 *                   /healthz  loop-heartbeat: a 1 s timer on the loop ran within the last 10 s;
 *                             work-queue: queued Services were synced within the last 60 s
 *                   /readyz   informers-synced, config-valid (a valid configuration is in force
 *                             and the latest one was not refused), leader-known (the Lease was
 *                             read: this replica knows whether it leads or stands by)
 *   --control-socket  `ingot status` sections "controller", "config" and "pools"
 *
 * It also logs, once per change, when the API server stops and starts answering.
 */
#ifndef INGOT_CONTROLLER_CTL_OPS_H
#define INGOT_CONTROLLER_CTL_OPS_H

#include <stddef.h>

#include "controller/controller.h"

struct ctl_ops;

/* listen ("host:port") and socket_path may each be NULL (that endpoint is off). ctl is borrowed
 * and must outlive the handle. Returns NULL with a message in err when an endpoint cannot open. */
struct ctl_ops *ctl_ops_new(struct controller *ctl, const char *listen, const char *socket_path,
			    char *err, size_t err_len);
/* The HTTP port (0 when off): useful with port 0. */
uint16_t ctl_ops_port(const struct ctl_ops *o);
void ctl_ops_free(struct ctl_ops *o);

#endif
