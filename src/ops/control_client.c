/*
 * The client side of the control socket (see control.h), for `ingot status` and tests: connect,
 * send one request line, half-close, read one response line within a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/monotime.h"
#include "core/xalloc.h"
#include "ops/control.h"

/* Waits for fd to be ready for events until deadline; false on timeout or error. */
static bool wait_for(int fd, short events, monotime deadline)
{
	for (;;) {
		int64_t left = mono_to_ms(mono_sub(deadline, mono_now()));
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return false;
	}
}

static bool send_all(int fd, const char *data, size_t len, monotime deadline)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_for(fd, POLLOUT, deadline))
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads up to the first newline; returns a fresh string without it, or NULL. */
static char *recv_line(int fd, monotime deadline, char *err, size_t err_len)
{
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= CONTROL_MAX_RESPONSE) {
				snprintf(err, err_len, "response longer than %zu bytes", cap);
				break;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if (!wait_for(fd, POLLIN, deadline)) {
			snprintf(err, err_len, "no response in time");
			break;
		}
		ssize_t n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			snprintf(err, err_len, "reading the response: %s", strerror(errno));
			break;
		}
		char *nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl || n == 0) {
			if (!nl && len == 0) {
				snprintf(err, err_len, "connection closed without a response");
				break;
			}
			size_t line = nl ? (size_t)(nl - buf) : len;
			buf = xreallocarray(buf, line + 1, 1);
			buf[line] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

json_t *control_call(const char *path, const json_t *request, int timeout_ms, char *err,
		     size_t err_len)
{
	monotime deadline = mono_add(mono_now(), mono_from_ms(timeout_ms));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "socket path too long: %s", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, err_len, "cannot connect to %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *text = json_dumps(request, JSON_COMPACT);
	if (!text) {
		snprintf(err, err_len, "cannot encode the request");
		close(fd);
		return NULL;
	}
	bool sent = send_all(fd, text, strlen(text), deadline) && send_all(fd, "\n", 1, deadline);
	free(text);
	if (!sent) {
		snprintf(err, err_len, "cannot send the request to %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	char *line = recv_line(fd, deadline, err, err_len);
	close(fd);
	if (!line)
		return NULL;
	json_error_t jerr;
	json_t *resp = json_loads(line, 0, &jerr);
	free(line);
	if (!json_is_object(resp)) {
		snprintf(err, err_len, "the response is not a JSON object: %s",
			 resp ? "wrong type" : jerr.text);
		json_decref(resp);
		return NULL;
	}
	return resp;
}
