/*
 * Internals of the API client shared by client.c (building and starting requests) and
 * client_multi.c (libcurl multi on the event loop, completion). Not for use outside src/k8s.
 */
#ifndef INGOT_K8S_CLIENT_INT_H
#define INGOT_K8S_CLIENT_INT_H

#include <curl/curl.h>
#include <stdbool.h>

#include "core/loop.h"
#include "k8s/client.h"
#include "k8s/framer.h"
#include "k8s/token.h"

enum req_state {
	REQ_QUEUED,              /* waiting for the kick timer to add it to curl */
	REQ_ACTIVE,              /* added to curl */
	REQ_DEAD,                /* cancelled while curl was busy; freed by the kick timer */
};

struct k8s_request {
	struct k8s_client *c;
	struct k8s_request *next, *prev;    /* in c->requests (queued and active) or c->dead */
	enum req_state state;
	CURL *easy;
	struct curl_slist *headers;
	char *method;
	char *path;
	char *body;                          /* serialised request body, or NULL */
	size_t body_len;
	char *content_type;
	k8s_done_fn done;
	k8s_line_fn on_line;
	void *arg;
	bool stream;
	bool retried_401;
	long timeout_ms;
	/* response */
	char *resp;
	size_t resp_len, resp_cap;
	bool resp_too_large;
	struct k8s_framer framer;
	bool frame_error;
	bool has_retry_after;
	char retry_after[64];
	monotime started;
};

struct k8s_client {
	CURLM *multi;
	struct timer *timer;                 /* curl's timeout */
	struct timer *kick;                  /* deferred adds and frees */
	struct k8s_request *requests;
	struct k8s_request *dead;
	int busy;                            /* > 0 while inside curl_multi_socket_action() */
	struct k8s_client_options opts;
	char *server;
	char *namespace;
	struct k8s_blob ca, cert, key;
	bool insecure;
	struct curl_slist *connect_to;       /* tls-server-name: connect to the real host */
	struct k8s_token token;
};

static inline void client_list_add(struct k8s_request **head, struct k8s_request *r)
{
	r->prev = NULL;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
}

static inline void client_list_del(struct k8s_request **head, struct k8s_request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

/* client.c */
void client_set_auth_headers(struct k8s_request *r);
void client_reset_response(struct k8s_request *r);
void client_add_to_curl(struct k8s_request *r);
void client_free_request(struct k8s_request *r);

/* client_multi.c */
void client_multi_init(struct k8s_client *c);
void client_multi_cleanup(struct k8s_client *c);
/* Adds queued requests to curl and frees cancelled ones (only while curl is not running). */
void client_flush_deferred(struct k8s_client *c);

#endif
