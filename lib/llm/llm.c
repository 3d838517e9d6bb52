/* llm.c — OpenAI-compatible chat client on libcurl's multi interface: the
 * shared LLM options, the ordered request queue, retries, cache, answer
 * checks. See llm.h. */
#include "llm/llm.h"

#include "base/cli.h"
#include "llm/llmcache.h"
#include "base/ndjson.h"
#include "llm/prompts.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifndef GCSE_VERSION
#define GCSE_VERSION "0"
#endif

enum {
	MAX_RESPONSE = 16 << 20,   /* bytes of one response body we accept */
	REASK_ECHO = 2000,         /* bytes of an invalid answer quoted back */
	SHOW_FAILURES = 10,        /* failed records named one by one */
	BACKOFF_CAP = 60,          /* s */
	SAME_BODY = 4096,          /* bytes of an HTTP 500 body compared with the next */
};

/* ================================================================ options */

static const char *const opt_names[LLM_OPT_END - LLM_OPT_URL] = {
	"llm", "llm-model", "llm-path", "temperature", "top-p", "max-tokens",
	"timeout", "record-timeout", "jobs", "retries", "invalid-retries", "backoff",
	"structured", "json-mode", "cache", "retry-failed", "on-invalid", "prompts",
};

void llm_opts_init(llm_opts *o)
{
	memset(o, 0, sizeof *o);
	o->path = "/v1/chat/completions";
	o->temperature = -1;
	o->top_p = -1;
	o->seed = -1;
	o->timeout = 120;
	o->record_timeout = 300;
	o->jobs = 4;
	o->retries = 5;
	o->invalid_retries = 2;
	o->backoff = 1;
	o->on_invalid = LLM_FALLBACK;
	o->structured = LLM_STRUCT_SCHEMA;
	o->watch_fd = -1;
}

int llm_getopt(llm_opts *o, int c, const char *arg)
{
	if (c < LLM_OPT_URL || c >= LLM_OPT_END)
		return 0;
	o->given |= 1u << (c - LLM_OPT_URL);
	switch (c) {
	case LLM_OPT_URL:
		o->url = arg;
		break;
	case LLM_OPT_MODEL:
		if (!*arg)
			cli_usage_error("--llm-model: empty name");
		o->model = arg;
		break;
	case LLM_OPT_PATH:
		if (arg[0] != '/')
			cli_usage_error("--llm-path: '%s' does not start with '/'", arg);
		o->path = arg;
		break;
	case LLM_OPT_TEMPERATURE:
		o->temperature = cli_double("--temperature", arg, 0, 2);
		break;
	case LLM_OPT_TOP_P:
		o->top_p = cli_double("--top-p", arg, 0, 1);
		break;
	case LLM_OPT_MAX_TOKENS:
		o->max_tokens = cli_long("--max-tokens", arg, 1, 1000000);
		break;
	case LLM_OPT_TIMEOUT:
		o->timeout = cli_double("--timeout", arg, 0.1, 86400);
		break;
	case LLM_OPT_RECORD_TIMEOUT:
		o->record_timeout = cli_double("--record-timeout", arg, 1, 604800);
		break;
	case LLM_OPT_JOBS:
		o->jobs = (int)cli_long("--jobs", arg, 1, 1024);
		break;
	case LLM_OPT_RETRIES:
		o->retries = (int)cli_long("--retries", arg, 0, 100);
		break;
	case LLM_OPT_INVALID_RETRIES:
		o->invalid_retries = (int)cli_long("--invalid-retries", arg, 0, 100);
		break;
	case LLM_OPT_BACKOFF:
		o->backoff = cli_double("--backoff", arg, 0, 600);
		break;
	case LLM_OPT_STRUCTURED:
		if (!strcmp(arg, "schema"))
			o->structured = LLM_STRUCT_SCHEMA;
		else if (!strcmp(arg, "json"))
			o->structured = LLM_STRUCT_JSON;
		else if (!strcmp(arg, "none"))
			o->structured = LLM_STRUCT_NONE;
		else
			cli_usage_error("--structured: '%s' is not 'schema', 'json' or 'none'", arg);
		break;
	case LLM_OPT_JSON_MODE:
		o->structured = LLM_STRUCT_JSON;
		break;
	case LLM_OPT_RETRY_FAILED:
		o->retry_failed = 1;
		break;
	case LLM_OPT_CACHE:
		if (!*arg)
			cli_usage_error("--cache: empty directory name");
		o->cache_dir = arg;
		break;
	case LLM_OPT_ON_INVALID:
		if (!strcmp(arg, "fallback"))
			o->on_invalid = LLM_FALLBACK;
		else if (!strcmp(arg, "report"))
			o->on_invalid = LLM_REPORT;
		else
			cli_usage_error("--on-invalid: '%s' is not 'fallback' or 'report'", arg);
		break;
	case LLM_OPT_PROMPTS:
		o->prompts_dir = arg;
		break;
	}
	return 1;
}

int llm_option(llm_opts *o, const char *name, const char *arg)
{
	for (int i = 0; i < LLM_OPT_END - LLM_OPT_URL; i++)
		if (!strcmp(name, opt_names[i])) {
			if (!arg && i + LLM_OPT_URL != LLM_OPT_JSON_MODE && i + LLM_OPT_URL != LLM_OPT_RETRY_FAILED)
				cli_usage_error("--%s needs an argument", name);
			return llm_getopt(o, LLM_OPT_URL + i, arg);
		}
	return 0;
}

void llm_opts_check(llm_opts *o, int quiet, long seed)
{
	o->quiet = quiet;
	o->seed = seed;
	o->watch_fd = STDOUT_FILENO;
	if (!o->url) {
		for (int i = 1; i < LLM_OPT_END - LLM_OPT_URL; i++)
			if (o->given & (1u << i))
				cli_usage_error("--%s needs --llm URL", opt_names[i]);
		return;
	}
	if (strncasecmp(o->url, "http://", 7) && strncasecmp(o->url, "https://", 8))
		cli_usage_error("--llm: '%s' is not an http:// or https:// URL", o->url);
	if ((o->given & (1u << (LLM_OPT_RETRY_FAILED - LLM_OPT_URL))) && !o->cache_dir)
		cli_usage_error("--retry-failed needs --cache DIR");
}

/* ================================================================ pieces */

double llm_backoff(int n, double base, double cap, double u)
{
	if (n < 1)
		n = 1;
	double d = n > 60 ? cap : base * ldexp(1.0, n - 1);
	if (d > cap)
		d = cap;
	return d * (0.5 + 0.5 * u);
}

double llm_retry_after(const char *value, long now)
{
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strlen(value);
	while (n && isspace((unsigned char)value[n - 1]))
		n--;
	if (!n)
		return -1;
	size_t digits = strspn(value, "0123456789");
	if (digits == n) {
		double s = digits > 7 ? 1e7 : atof(value);
		return s;
	}
	char buf[128];
	snprintf(buf, sizeof buf, "%.*s", (int)n, value);
	time_t t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	double d = difftime(t, (time_t)now);
	return d > 0 ? d : 0;
}

void llm_scrub(char *s, const char *secret)
{
	if (!s || !secret || !*secret)
		return;
	size_t n = strlen(secret);
	const char *rep = n >= 5 ? "[key]" : "****";
	size_t rn = n >= 5 ? 5 : n;
	char *p;
	while ((p = strstr(s, secret))) {
		memcpy(p, rep, rn);
		memmove(p + rn, p + n, strlen(p + n) + 1);
	}
}

char *llm_endpoint(const char *base, const char *path)
{
	size_t bn = strlen(base), pn = strlen(path);
	while (bn && base[bn - 1] == '/')
		bn--;
	char *r = xmalloc(bn + pn + 1);
	if (bn >= pn && !strncmp(base + bn - pn, path, pn)) {
		/* the base is already the whole endpoint */
		memcpy(r, base, bn);
		r[bn] = 0;
		return r;
	}
	if (bn >= 3 && !strncmp(base + bn - 3, "/v1", 3) && !strncmp(path, "/v1/", 4))
		path += 3, pn -= 3;
	memcpy(r, base, bn);
	memcpy(r + bn, path, pn + 1);
	return r;
}

/* Copy s to out as one line of at most outlen-1 bytes (control characters
 * become spaces; a cut does not split a UTF-8 sequence). */
static void one_line(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	if (o + 1 >= outlen && n > o)
		while (o && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
	if (o && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

void llm_server_message(const char *body, size_t len, char *out, size_t outlen)
{
	if (!outlen)
		return;
	out[0] = 0;
	jv v = len ? jv_parse_sized(body, (int)len) : jv_invalid();
	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		static const char *const paths[][2] = {
			{"error", "message"}, {"error", NULL}, {"message", NULL}, {"detail", NULL},
		};
		for (int i = 0; i < 4 && !out[0]; i++) {
			jv x = jv_object_get(jv_copy(v), jv_string(paths[i][0]));
			if (paths[i][1] && jv_get_kind(x) == JV_KIND_OBJECT)
				x = jv_object_get(x, jv_string(paths[i][1]));
			else if (paths[i][1]) {
				jv_free(x);
				continue;
			}
			if (jv_get_kind(x) == JV_KIND_STRING) {
				const char *s = jv_string_value(x);
				one_line(s, strlen(s), out, outlen);
			} else if (jv_is_valid(x) && jv_get_kind(x) != JV_KIND_NULL) {
				jv d = jv_dump_string(jv_copy(x), 0);
				one_line(jv_string_value(d), strlen(jv_string_value(d)), out, outlen);
				jv_free(d);
			}
			jv_free(x);
		}
	}
	jv_free(v);
	if (!out[0])
		one_line(body, len, out, outlen);
	if (!out[0])
		snprintf(out, outlen, "(empty body)");
}

int llm_parse_response(const char *body, size_t len, char **content, size_t *clen, char *finish,
                       size_t finishlen, char *err, size_t errlen)
{
	if (finishlen)
		finish[0] = 0;
	jv v = jv_parse_sized(body, (int)len);
	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		snprintf(err, errlen, "response is not JSON (%s)",
		         jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "empty");
		jv_free(m);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "response is not a JSON object");
		jv_free(v);
		return 0;
	}
	jv e = jv_object_get(jv_copy(v), jv_string("error"));
	if (jv_is_valid(e) && jv_get_kind(e) != JV_KIND_NULL) {
		char m[300];
		jv_free(e);
		llm_server_message(body, len, m, sizeof m);
		snprintf(err, errlen, "error in response: %s", m);
		jv_free(v);
		return 0;
	}
	jv_free(e);
	jv ch = jv_object_get(jv_copy(v), jv_string("choices"));
	jv_free(v);
	if (jv_get_kind(ch) != JV_KIND_ARRAY || jv_array_length(jv_copy(ch)) < 1) {
		snprintf(err, errlen, "response has no choices");
		jv_free(ch);
		return 0;
	}
	jv c0 = jv_array_get(ch, 0);
	if (jv_get_kind(c0) != JV_KIND_OBJECT) {
		snprintf(err, errlen, "response choice is not an object");
		jv_free(c0);
		return 0;
	}
	jv fr = jv_object_get(jv_copy(c0), jv_string("finish_reason"));
	if (jv_get_kind(fr) == JV_KIND_STRING && finishlen)
		snprintf(finish, finishlen, "%s", jv_string_value(fr));
	jv_free(fr);
	jv msg = jv_object_get(jv_copy(c0), jv_string("message"));
	jv text;
	if (jv_get_kind(msg) == JV_KIND_OBJECT) {
		text = jv_object_get(msg, jv_string("content"));
		if (jv_get_kind(text) == JV_KIND_NULL) {   /* e.g. all tokens spent reasoning */
			jv_free(text);
			text = jv_string("");
		}
	} else {
		jv_free(msg);
		text = jv_object_get(jv_copy(c0), jv_string("text"));   /* completions style */
	}
	jv_free(c0);
	if (jv_get_kind(text) != JV_KIND_STRING) {
		snprintf(err, errlen, "response has no message content");
		jv_free(text);
		return 0;
	}
	size_t n = (size_t)jv_string_length_bytes(jv_copy(text));
	*content = xmalloc(n + 1);
	memcpy(*content, jv_string_value(text), n);
	(*content)[n] = 0;
	*clen = n;
	jv_free(text);
	return 1;
}

char *llm_request_body(const llm_opts *o, int structured, const llm_format *f, long max_tokens,
                       jv messages)
{
	jv b = jv_object();
	if (o->model)
		b = jv_object_set(b, jv_string("model"), jv_string(o->model));
	b = jv_object_set(b, jv_string("messages"), jv_copy(messages));
	if (o->temperature >= 0)
		b = jv_object_set(b, jv_string("temperature"), jv_number(o->temperature));
	if (o->top_p >= 0)
		b = jv_object_set(b, jv_string("top_p"), jv_number(o->top_p));
	if (o->max_tokens > 0)
		max_tokens = o->max_tokens;
	if (max_tokens > 0)
		b = jv_object_set(b, jv_string("max_tokens"), jv_number((double)max_tokens));
	if (o->seed >= 0)
		b = jv_object_set(b, jv_string("seed"), jv_number((double)(o->seed & 0x7fffffff)));
	if (structured == LLM_STRUCT_SCHEMA && f) {
		jv js = jv_object_set(jv_object(), jv_string("name"), jv_string(f->name));
		js = jv_object_set(js, jv_string("strict"), jv_true());
		js = jv_object_set(js, jv_string("schema"), jv_copy(f->schema));
		jv rf = jv_object_set(jv_object(), jv_string("type"), jv_string("json_schema"));
		b = jv_object_set(b, jv_string("response_format"), jv_object_set(rf, jv_string("json_schema"), js));
	} else if (structured == LLM_STRUCT_JSON || (structured == LLM_STRUCT_SCHEMA && !f)) {
		jv rf = jv_object_set(jv_object(), jv_string("type"), jv_string("json_object"));
		b = jv_object_set(b, jv_string("response_format"), rf);
	}
	b = jv_object_set(b, jv_string("stream"), jv_false());
	strbuf s = {0};
	sb_json(&s, b);
	jv_free(b);
	return s.s;
}

/* ================================================================ client */

/* ST_ABORTED: the request that caused a fatal error; never delivered.
 * ST_TWIN: the same request as an earlier one still running (with --cache,
 * whose contract is one answer per request): takes that one's result. */
enum { ST_QUEUED, ST_WAIT, ST_RUNNING, ST_DONE, ST_ABORTED, ST_TWIN };

/* Kinds of trouble, for "first time" notes. */
enum { W_CONNECT = 1, W_TIMEOUT = 2, W_5XX = 4, W_429 = 8, W_MALFORMED = 16, W_OTHER = 32,
       W_CACHE = 64 };

typedef struct item {
	long index;
	long group;             /* the record, for its time budget */
	void *user;
	jv messages;            /* the conversation so far (grows on re-ask) */
	const llm_format *format;
	void *ctx;
	long max_tokens;        /* the request's own limit */
	char key[65];           /* cache key: of the first request, response_format aside */
	char *body0;            /* first request body (stored in the cache) */
	char *body;             /* body of the current request */
	int mode;               /* the LLM_STRUCT_* body was made with */
	int state;
	int attempts;           /* transport attempts of the current body */
	int requests;           /* HTTP requests in all */
	int reasks;
	double not_before;      /* ST_WAIT: earliest start */
	double deadline;        /* the record's time budget ends (0: not started) */
	int budget_cut;         /* the running request's timeout is what is left of it */
	CURL *easy;
	char *resp;             /* response body */
	size_t resp_len, resp_cap;
	char *last500;          /* the previous HTTP 500 body (its first SAME_BODY bytes) */
	size_t last500_len;
	char *last_trouble;     /* the last transport error, for an out-of-time message */
	double retry_after;     /* from the response headers; < 0 none */
	char errbuf[CURL_ERROR_SIZE];
	int status;             /* LLM_OK, LLM_INVALID, LLM_FAILED */
	int cached;             /* an answer from --cache (or a twin's) */
	int stored;             /* a failure from --cache */
	int keep_failure;       /* a failure that would repeat: store it in --cache */
	int from_twin;          /* the result is another request's */
	int reason;             /* the last invalid answer's llm_reason */
	long http;              /* last HTTP status (for "shown once" notes) */
	jv answer;
	char *content;
	size_t content_len;
	char *error;
	struct item *twin_of;   /* ST_TWIN: the request answering for this one */
	int has_twins;
} item;

struct llm_client {
	llm_opts o;
	int mode;               /* LLM_STRUCT_* in force (o.structured until a fallback) */
	char *endpoint;
	char *shown_url;        /* endpoint without user:password@ */
	char *key;
	struct curl_slist *hdrs;
	CURLM *multi;
	item **ring;
	int cap, head, count, running;
	long group;             /* the last record's number, for same_record */
	long dl_group;          /* the record of the last request delivered, */
	double dl_deadline;     /* ... and its deadline (0: none) */
	double pause_until;     /* no new request before (Retry-After) */
	llm_deliver_fn deliver;
	void *dctx;
	llm_cache *cache;
	prompt *reask;
	uint64_t rng;
	llm_stats st;
	char *fatal;
	int closed;             /* the watched output's reader has gone */
	int fail_streak;        /* records in a row that failed at the server */
	unsigned warned;
	long shown_http[16];    /* HTTP statuses of rejections already shown */
	int nshown_http;
	int failures_shown;
	int global_init;
	int down;               /* a connection failed; nothing answered since */
	int trouble;            /* a request is being retried; none succeeded since */
};

static double rand01(llm_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

/* Messages: formatted (at most 1023 bytes), the key scrubbed (malloc'ed). */
static char * __attribute__((format(printf, 2, 0))) vscrubbed(const llm_client *c, const char *fmt,
                                                              va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	llm_scrub(buf, c->key);
	return xstrdup(buf);
}

static char * __attribute__((format(printf, 2, 3))) scrubbed(llm_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = vscrubbed(c, fmt, ap);
	va_end(ap);
	return m;
}

/* The same as "prog: llm: ..." on stderr. */
static void __attribute__((format(printf, 2, 3))) note(llm_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = vscrubbed(c, fmt, ap);
	va_end(ap);
	cli_msg("llm: %s", m);
	free(m);
}

static void __attribute__((format(printf, 2, 3))) set_fatal(llm_client *c, const char *fmt, ...)
{
	if (c->fatal)
		return;
	va_list ap;
	va_start(ap, fmt);
	c->fatal = vscrubbed(c, fmt, ap);
	va_end(ap);
}

/* Has the reader of the watched output gone (a pipe or socket closed at the
 * other end)? Then nothing more is started. */
static int output_gone(llm_client *c)
{
	if (c->closed)
		return 1;
	if (c->o.watch_fd < 0)
		return 0;
	struct pollfd p = {.fd = c->o.watch_fd, .events = 0};
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) {
		c->closed = 1;
		set_fatal(c, "the output was closed");
		return 1;
	}
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	item *it = ud;
	size_t k = size * n;
	if (it->resp_len + k > MAX_RESPONSE)
		return 0;   /* CURLE_WRITE_ERROR */
	if (it->resp_len + k + 1 > it->resp_cap) {
		it->resp_cap = (it->resp_len + k + 1) * 2;
		it->resp = xrealloc(it->resp, it->resp_cap);
	}
	memcpy(it->resp + it->resp_len, p, k);
	it->resp_len += k;
	it->resp[it->resp_len] = 0;
	return k;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	item *it = ud;
	size_t k = size * n;
	if (k > 5 && !strncmp(p, "HTTP/", 5))
		it->retry_after = -1;   /* a new response (after 100 Continue) */
	else if (k > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		char v[128];
		size_t vn = k - 12 < sizeof v - 1 ? k - 12 : sizeof v - 1;
		memcpy(v, p + 12, vn);
		v[vn] = 0;
		it->retry_after = llm_retry_after(v, (long)time(NULL));
	}
	return k;
}

static void item_free(item *it)
{
	if (!it)
		return;
	jv_free(it->messages);
	jv_free(it->answer);
	free(it->body0);
	free(it->body);
	free(it->resp);
	free(it->last500);
	free(it->last_trouble);
	free(it->content);
	free(it->error);
	free(it);
}

llm_client *llm_open(const llm_opts *o, llm_deliver_fn deliver, void *ctx,
                     char *err, size_t errlen)
{
	if (!o->url) {
		snprintf(err, errlen, "no --llm URL");
		return NULL;
	}
	llm_client *c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->mode = o->structured;
	if (c->o.jobs < 1)
		c->o.jobs = 1;
	if (c->o.window <= 0)
		c->o.window = 8 * c->o.jobs > 64 ? 8 * c->o.jobs : 64;
	if (c->o.window < c->o.jobs)
		c->o.window = c->o.jobs;
	if (c->o.record_timeout <= 0)
		c->o.record_timeout = 300;
	c->deliver = deliver;
	c->dctx = ctx;
	c->endpoint = llm_endpoint(o->url, o->path ? o->path : "/v1/chat/completions");
	c->shown_url = xstrdup(c->endpoint);
	char *scheme = strstr(c->shown_url, "://");
	if (scheme) {
		char *host = scheme + 3, *at = strchr(host, '@'), *slash = strchr(host, '/');
		if (at && (!slash || at < slash))
			memmove(host, at + 1, strlen(at + 1) + 1);
	}
	const char *key = getenv("GCSE_LLM_API_KEY");
	const char *keyvar = "GCSE_LLM_API_KEY";
	if (!key || !*key) {
		key = getenv("OPENAI_API_KEY");
		keyvar = "OPENAI_API_KEY";
	}
	if (key && *key) {
		for (const char *p = key; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(err, errlen, "%s contains a control character", keyvar);
				llm_close(c);
				return NULL;
			}
		c->key = xstrdup(key);
	}
	c->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid() << 20 ^
	         (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 1;
	char e[512];
	char *dir = prompts_dir(o->prompts_dir, e, sizeof e);
	if (!dir) {
		snprintf(err, errlen, "%s", e);
		llm_close(c);
		return NULL;
	}
	c->reask = prompt_load(dir, "reask", e, sizeof e);
	free(dir);
	static const char *const reask_vars[] = {"error", NULL};
	if (!c->reask || !prompt_check(c->reask, reask_vars, e, sizeof e)) {
		snprintf(err, errlen, "%s", e);
		llm_close(c);
		return NULL;
	}
	if (o->cache_dir && !(c->cache = llm_cache_open(o->cache_dir, e, sizeof e))) {
		snprintf(err, errlen, "--cache: %s", e);
		llm_close(c);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "cannot initialise libcurl");
		llm_close(c);
		return NULL;
	}
	c->global_init = 1;
	c->multi = curl_multi_init();
	if (!c->multi) {
		snprintf(err, errlen, "cannot initialise libcurl");
		llm_close(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.jobs);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.jobs);
	c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
	c->hdrs = curl_slist_append(c->hdrs, "Accept: application/json");
	c->hdrs = curl_slist_append(c->hdrs, "Expect:");
	if (c->key) {
		size_t n = strlen(c->key) + 32;
		char *h = xmalloc(n);
		snprintf(h, n, "Authorization: Bearer %s", c->key);
		c->hdrs = curl_slist_append(c->hdrs, h);
		explicit_bzero(h, n);
		free(h);
	}
	c->cap = c->o.window;
	c->ring = xcalloc((size_t)c->cap, sizeof *c->ring);
	return c;
}

/* ---------------------------------------------------------------- results */

static void item_done(llm_client *c, item *it, int status, char *error);

/* it is done: its twins (later in the window) take its result. */
static void resolve_twins(llm_client *c, item *it)
{
	for (int k = 0; k < c->count; k++) {
		item *t = c->ring[(c->head + k) % c->cap];
		if (t->state != ST_TWIN || t->twin_of != it)
			continue;
		t->twin_of = NULL;
		free(t->content);
		t->content = NULL;
		t->content_len = 0;
		if (it->content) {
			t->content = xmalloc(it->content_len + 1);
			memcpy(t->content, it->content, it->content_len + 1);
			t->content_len = it->content_len;
		}
		char e[600] = "";
		int r = it->status == LLM_OK && t->format ? llm_check_answer(it->answer, t->format, t->ctx, e, sizeof e)
		                                          : LLM_R_OK;
		t->from_twin = 1;
		t->state = ST_DONE;
		if (it->status == LLM_OK && r == LLM_R_OK) {
			jv_free(t->answer);
			t->answer = jv_copy(it->answer);
			t->cached = 1;
			c->st.cached++;
			t->status = LLM_OK;
		} else {
			t->status = it->status == LLM_OK ? LLM_INVALID : it->status;
			t->reason = it->status == LLM_OK ? r : it->reason;
			t->http = it->http;
			free(t->error);
			t->error = e[0] ? scrubbed(c, "%s", e) : xstrdup(it->error ? it->error : "failed");
		}
	}
}

static void item_done(llm_client *c, item *it, int status, char *error)
{
	it->state = ST_DONE;
	it->status = status;
	free(it->error);
	it->error = error;
	if (it->has_twins)
		resolve_twins(c, it);
	if (status == LLM_FAILED && !it->stored) {
		int limit = 2 * c->o.jobs > 8 ? 2 * c->o.jobs : 8;
		if (++c->fail_streak >= limit) {
			set_fatal(c, "giving up: %d requests in a row failed; the last: %s",
			          c->fail_streak, error ? error : "?");
			it->state = ST_ABORTED;
		}
	} else if (!it->cached && !it->stored) {
		c->fail_streak = 0;
	}
}

static jv cache_entry(llm_client *c, item *it)
{
	char tbuf[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	jv e = jv_object();
	e = jv_object_set(e, jv_string("format"), jv_string(LLM_CACHE_FORMAT));
	e = jv_object_set(e, jv_string("key"), jv_string(it->key));
	e = jv_object_set(e, jv_string("model"), c->o.model ? jv_string(c->o.model) : jv_null());
	e = jv_object_set(e, jv_string("request"), jv_parse(it->body0));
	e = jv_object_set(e, jv_string("content"), it->content ? jv_string_sized(it->content, (int)it->content_len)
	                                                       : jv_null());
	return e;
}

static void cache_put(llm_client *c, item *it, jv e)
{
	char tbuf[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	e = jv_object_set(e, jv_string("requests"), jv_number(it->requests));
	e = jv_object_set(e, jv_string("created"), jv_string(tbuf));
	char err[600];
	if (llm_cache_put(c->cache, it->key, e, err, sizeof err))
		set_fatal(c, "--cache: %s", err);
	else
		c->st.cache_written++;
}

static void cache_store(llm_client *c, item *it)
{
	if (!c->cache)
		return;
	jv e = cache_entry(c, it);
	cache_put(c, it, jv_object_set(e, jv_string("answer"), jv_copy(it->answer)));
}

/* A failure that would repeat, so that a rerun does not pay for it again. */
static void cache_store_failure(llm_client *c, item *it)
{
	if (!c->cache)
		return;
	jv f = jv_object_set(jv_object(), jv_string("status"),
	                     jv_string(it->status == LLM_INVALID ? "invalid" : "rejected"));
	f = jv_object_set(f, jv_string("reason"), it->status == LLM_INVALID ? jv_string(llm_reason_name(it->reason))
	                                                                    : jv_null());
	f = jv_object_set(f, jv_string("http"), it->http ? jv_number((double)it->http) : jv_null());
	f = jv_object_set(f, jv_string("error"), jv_string(it->error ? it->error : "failed"));
	cache_put(c, it, jv_object_set(cache_entry(c, it), jv_string("failed"), f));
}

/* The current body, from the conversation so far, in the mode in force. */
static void set_body(llm_client *c, item *it)
{
	free(it->body);
	it->body = llm_request_body(&c->o, c->mode, it->format, it->max_tokens, it->messages);
	it->mode = c->mode;
}

static void reask(llm_client *c, item *it, const char *why)
{
	size_t n = it->content_len;
	if (n > REASK_ECHO) {
		n = REASK_ECHO;
		while (n && ((unsigned char)it->content[n] & 0xc0) == 0x80)
			n--;
	}
	jv prev = jv_object_set(jv_object(), jv_string("role"), jv_string("assistant"));
	prev = jv_object_set(prev, jv_string("content"), jv_string_sized(it->content, (int)n));
	const char *vars[] = {"error", why, NULL};
	char e[300];
	char *u = prompt_fill(c->reask->user, vars, e, sizeof e);
	jv ask = jv_object_set(jv_object(), jv_string("role"), jv_string("user"));
	ask = jv_object_set(ask, jv_string("content"), jv_string(u ? u : why));
	free(u);
	it->messages = jv_array_append(jv_array_append(it->messages, prev), ask);
	set_body(c, it);
	it->reasks++;
	it->attempts = 0;
	it->state = ST_QUEUED;
	c->st.reasks++;
}

static long max_tokens_of(const llm_client *c, const item *it)
{
	return c->o.max_tokens > 0 ? c->o.max_tokens : it->max_tokens;
}

static void got_answer(llm_client *c, item *it, char *content, size_t clen, const char *finish)
{
	c->st.answers++;
	free(it->content);
	it->content = content;
	it->content_len = clen;
	jv ans;
	char e[700];
	int r = llm_extract(content, clen, it->format, it->ctx, &ans, e, sizeof e);
	if (r == LLM_R_OK) {
		jv_free(it->answer);
		it->answer = ans;
		it->reason = LLM_R_OK;
		item_done(c, it, LLM_OK, NULL);
		cache_store(c, it);
		return;
	}
	c->st.invalid++;
	c->st.invalid_by[r]++;
	it->reason = r;
	if (r == LLM_R_CUT && !strcmp(finish, "length")) {
		long mt = max_tokens_of(c, it);
		if (mt > 0)
			snprintf(e, sizeof e, "JSON object cut off at the token limit (max_tokens %ld: see --max-tokens)", mt);
		else
			snprintf(e, sizeof e, "JSON object cut off at the server's token limit (see --max-tokens)");
	}
	llm_scrub(e, c->key);
	if (it->reasks < c->o.invalid_retries) {
		reask(c, it, e);
		return;
	}
	it->keep_failure = 1;
	item_done(c, it, LLM_INVALID,
	          scrubbed(c, "no valid answer after %d request%s: %s", it->requests,
	                   it->requests == 1 ? "" : "s", e));
}

/* The record's time budget is spent: it fails now (not stored in --cache:
 * a rerun asks again). why: the trouble that used it up, or NULL. */
static void out_of_time(llm_client *c, item *it, const char *why)
{
	c->st.out_of_time++;
	if (!why)
		why = it->last_trouble;
	if (it->reason != LLM_R_OK)
		item_done(c, it, LLM_INVALID,
		          scrubbed(c, "no valid answer within the record's time budget (--record-timeout %g s) after %d "
		                   "request%s; the last answer: %s", c->o.record_timeout, it->requests,
		                   it->requests == 1 ? "" : "s", llm_reason_name(it->reason)));
	else
		item_done(c, it, LLM_FAILED,
		          scrubbed(c, "no answer within the record's time budget (--record-timeout %g s)%s%s",
		                   c->o.record_timeout, why ? "; the last error: " : "", why ? why : ""));
}

/* A transport-level failure: retry after a backoff, or give up. ra: the
 * server's Retry-After in seconds, < 0 none. */
static void retry(llm_client *c, item *it, unsigned kind, const char *msg, double ra)
{
	free(it->last_trouble);
	it->last_trouble = xstrdup(msg);
	if (it->attempts > c->o.retries) {
		if (kind == W_CONNECT) {
			set_fatal(c, "cannot connect to %s: %s (%d attempt%s)", c->shown_url, msg,
			          it->attempts, it->attempts == 1 ? "" : "s");
			it->state = ST_ABORTED;
			return;
		}
		item_done(c, it, LLM_FAILED, scrubbed(c, "%s (gave up after %d attempt%s)", msg, it->attempts,
		                                      it->attempts == 1 ? "" : "s"));
		return;
	}
	double now = now_seconds(), left = it->deadline - now;
	double w = llm_backoff(it->attempts, c->o.backoff, BACKOFF_CAP, rand01(c));
	if (ra > w)
		w = ra;
	/* Retry-After pauses new requests too, but never longer than this
	 * record may still wait. */
	if (ra > 0) {
		double p = ra < left ? ra : left;
		if (p > 0 && now + p > c->pause_until)
			c->pause_until = now + p;
	}
	if (w >= left) {
		if (kind == W_CONNECT) {
			set_fatal(c, "cannot connect to %s: %s (%d attempt%s in the record's time budget, "
			          "--record-timeout %g s)", c->shown_url, msg, it->attempts,
			          it->attempts == 1 ? "" : "s", c->o.record_timeout);
			it->state = ST_ABORTED;
			return;
		}
		c->st.out_of_time++;
		if (ra > 0 && ra >= left)
			item_done(c, it, LLM_FAILED,
			          scrubbed(c, "%s; the server asks to wait %.0f s (Retry-After), more than the %.1f s left "
			                   "of the record's time budget (--record-timeout %g s): not retried",
			                   msg, ceil(ra), left > 0 ? left : 0, c->o.record_timeout));
		else
			item_done(c, it, LLM_FAILED,
			          scrubbed(c, "%s; no time left for a retry in the record's time budget (--record-timeout %g s)",
			                   msg, c->o.record_timeout));
		return;
	}
	/* The server is not reachable: until it answers again, only
	 * requests that already failed retry, one at a time. */
	if (kind == W_CONNECT)
		c->down = 1;
	c->trouble = 1;
	it->state = ST_WAIT;
	it->not_before = now + w;
	if (!(c->warned & kind) && !c->o.quiet) {
		c->warned |= kind;
		note(c, "record %ld: %s; retrying in %.3g s (%d of %d; later retries are counted, not shown)",
		     it->index, msg, w, it->attempts, c->o.retries);
	}
}

/* Does an error body name the response_format field (a server that does
 * not know it, or not this kind of it)? */
static int names_format(const char *body)
{
	static const char *const words[] = {"response_format", "json_schema", "schema", NULL};
	for (int i = 0; words[i]; i++)
		if (strcasestr(body, words[i]))
			return 1;
	return 0;
}

/* An error that will repeat: give up at once; stored in --cache. */
static void not_retried(llm_client *c, item *it, const char *msg, const char *why)
{
	c->st.not_retried++;
	it->keep_failure = 1;
	item_done(c, it, LLM_FAILED, scrubbed(c, "%s (%s: not retried)", msg, why));
}

static void finished(llm_client *c, CURL *e, CURLcode rc)
{
	item *it = NULL;
	long http = 0;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&it);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
	curl_multi_remove_handle(c->multi, e);
	curl_easy_cleanup(e);
	it->easy = NULL;
	c->running--;
	it->http = http;
	char msg[700];
	if (rc != CURLE_OK) {
		snprintf(msg, sizeof msg, "%s", it->errbuf[0] ? it->errbuf : curl_easy_strerror(rc));
		size_t l = strlen(msg);
		while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
			msg[--l] = 0;
		if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_NOT_BUILT_IN || rc == CURLE_PEER_FAILED_VERIFICATION ||
		    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
		    rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ENGINE_NOTFOUND ||
		    rc == CURLE_BAD_FUNCTION_ARGUMENT || rc == CURLE_OUT_OF_MEMORY) {
			set_fatal(c, "%s: %s", c->shown_url, msg);
			it->state = ST_ABORTED;
		} else if (rc == CURLE_WRITE_ERROR) {
			item_done(c, it, LLM_FAILED, scrubbed(c, "response larger than %d MiB", MAX_RESPONSE >> 20));
		} else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		           rc == CURLE_COULDNT_RESOLVE_PROXY) {
			retry(c, it, W_CONNECT, msg, -1);
		} else if (rc == CURLE_OPERATION_TIMEDOUT && it->budget_cut) {
			out_of_time(c, it, NULL);
		} else if (rc == CURLE_OPERATION_TIMEDOUT) {
			snprintf(msg, sizeof msg, "no answer within %g s (--timeout)", c->o.timeout);
			retry(c, it, W_TIMEOUT, msg, -1);
		} else {
			retry(c, it, W_OTHER, msg, -1);
		}
		return;
	}
	c->down = 0;    /* the server answered */
	if (!(http == 429 || http == 408 || http >= 500))
		c->trouble = 0;
	char smsg[400];
	const char *body = it->resp ? it->resp : "";
	if (http >= 200 && http < 300) {
		char *content = NULL, finish[32], err[400];
		size_t clen = 0;
		if (llm_parse_response(body, it->resp_len, &content, &clen, finish, sizeof finish, err, sizeof err))
			got_answer(c, it, content, clen, finish);
		else {
			snprintf(msg, sizeof msg, "malformed response: %s", err);
			retry(c, it, W_MALFORMED, msg, -1);
		}
		return;
	}
	llm_server_message(body, it->resp_len, smsg, sizeof smsg);
	snprintf(msg, sizeof msg, "HTTP %ld: %s", http, smsg);
	if ((http == 400 || http == 422) && it->mode != LLM_STRUCT_NONE && names_format(body)) {
		/* The server does not take response_format (or this kind of
		 * it): fall back to none, once, and ask again without it. */
		if (c->mode != LLM_STRUCT_NONE) {
			c->mode = LLM_STRUCT_NONE;
			c->st.format_rejected = 1;
			note(c, "the server rejected response_format (%s); asking without it from now on (as "
			     "--structured none): answers are checked as before, but more may need asking again",
			     msg);
		}
		set_body(c, it);
		it->attempts = 0;
		it->state = ST_QUEUED;
		return;
	}
	if (http == 429) {
		retry(c, it, W_429, msg, it->retry_after);
	} else if (http == 501) {
		not_retried(c, it, msg, "the server does not implement it");
	} else if (http == 500 && it->last500 && it->last500_len == (it->resp_len < SAME_BODY ? it->resp_len : SAME_BODY)
	           && !memcmp(it->last500, body, it->last500_len)) {
		not_retried(c, it, msg, "the same error twice");
	} else if (http >= 500 || http == 408) {
		if (http == 500) {
			free(it->last500);
			it->last500_len = it->resp_len < SAME_BODY ? it->resp_len : SAME_BODY;
			it->last500 = xmalloc(it->last500_len + 1);
			memcpy(it->last500, body, it->last500_len);
		}
		retry(c, it, W_5XX, msg, it->retry_after);
	} else if (http == 401 || http == 403 || http == 407) {
		set_fatal(c, "%s: %s (check GCSE_LLM_API_KEY)", c->shown_url, msg);
		it->state = ST_ABORTED;
	} else if (http == 404 || http == 405) {
		set_fatal(c, "%s: %s (check --llm, --llm-path and --llm-model)", c->shown_url, msg);
		it->state = ST_ABORTED;
	} else if (http >= 300 && http < 400) {
		set_fatal(c, "%s: HTTP %ld: a redirect; give the final URL with --llm", c->shown_url, http);
		it->state = ST_ABORTED;
	} else {
		it->keep_failure = 1;
		item_done(c, it, LLM_FAILED, scrubbed(c, "the server rejected the request: %s", msg));
	}
}

static void collect(llm_client *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finished(c, m->easy_handle, m->data.result);
}

/* When the record of it (its group) started its first request, plus the
 * budget; the first request of a record starts the clock. The record's
 * other requests are in the window, or were delivered just before it
 * (results leave in submission order). */
static double record_deadline(llm_client *c, const item *it, double now)
{
	for (int k = 0; k < c->count; k++) {
		const item *o = c->ring[(c->head + k) % c->cap];
		if (o != it && o->group == it->group && o->deadline > 0)
			return o->deadline;
	}
	if (c->dl_group == it->group && c->dl_deadline > 0)
		return c->dl_deadline;
	return now + c->o.record_timeout;
}

static void start(llm_client *c, item *it)
{
	if (output_gone(c))
		return;
	double now = now_seconds();
	if (it->deadline <= 0)
		it->deadline = record_deadline(c, it, now);
	double left = it->deadline - now;
	if (left <= 0.001) {
		out_of_time(c, it, NULL);
		return;
	}
	if (it->mode != c->mode)
		set_body(c, it);
	CURL *e = curl_easy_init();
	if (!e) {
		set_fatal(c, "cannot create a curl handle");
		return;
	}
	it->resp_len = 0;
	if (it->resp)
		it->resp[0] = 0;
	it->retry_after = -1;
	it->errbuf[0] = 0;
	double t = c->o.timeout;
	it->budget_cut = left < t;
	if (it->budget_cut)
		t = left;
	curl_easy_setopt(e, CURLOPT_URL, c->endpoint);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(it->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, it);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, it);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, it->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ceil(t * 1000));
	double ct = t < 30 ? t : 30;
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(ct * 1000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)it);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gcse/" GCSE_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		set_fatal(c, "cannot add a curl handle");
		return;
	}
	it->easy = e;
	it->state = ST_RUNNING;
	if (it->attempts > 0)
		c->st.retries++;
	it->attempts++;
	it->requests++;
	c->st.sent++;
	c->running++;
}

/* While requests are being retried (c->trouble) and none has succeeded
 * since, new requests start one at a time and only when nothing else is
 * running or waiting: a failing server is not flooded, and a flaky one is
 * barely slowed (the first success clears the state). */
static int busy(llm_client *c)
{
	for (int k = 0; k < c->count; k++) {
		int st = c->ring[(c->head + k) % c->cap]->state;
		if (st == ST_WAIT || st == ST_RUNNING)
			return 1;
	}
	return 0;
}

static int queued_may_start(llm_client *c, double now)
{
	return !c->fatal && !c->down && c->running < c->o.jobs && now >= c->pause_until &&
	       !(c->trouble && busy(c));
}

static void start_ready(llm_client *c)
{
	if (c->fatal)
		return;
	double now = now_seconds();
	if (now < c->pause_until)
		return;
	if (c->down) {
		/* the server is unreachable: probe with one request that
		 * failed before, the first due */
		if (c->running)
			return;
		for (int k = 0; k < c->count; k++) {
			item *it = c->ring[(c->head + k) % c->cap];
			if (it->state == ST_WAIT && it->not_before <= now) {
				start(c, it);
				return;
			}
		}
		return;
	}
	for (int k = 0; k < c->count && c->running < c->o.jobs && !c->fatal; k++) {
		item *it = c->ring[(c->head + k) % c->cap];
		if ((it->state == ST_WAIT && it->not_before <= now) ||
		    (it->state == ST_QUEUED && queued_may_start(c, now)))
			start(c, it);
	}
}

/* Milliseconds until something waiting may start (0: now; at most 1000). */
static int wake_ms(llm_client *c)
{
	double now = now_seconds(), t = now + 1.0;
	for (int k = 0; k < c->count; k++) {
		item *it = c->ring[(c->head + k) % c->cap];
		if (it->state == ST_QUEUED && queued_may_start(c, now))
			return 0;   /* e.g. a re-ask queued while collecting: start it now */
		if (it->state == ST_WAIT && it->not_before < t)
			t = it->not_before;
	}
	if (c->pause_until > now && c->pause_until > t)
		t = c->pause_until < now + 1.0 ? c->pause_until : now + 1.0;
	int ms = (int)ceil((t - now) * 1000);
	return ms < 1 ? 1 : ms > 1000 ? 1000 : ms;
}

static void perform(llm_client *c)
{
	int still;
	start_ready(c);
	curl_multi_perform(c->multi, &still);
	collect(c);
}

/* Run until the oldest request is done (or a fatal error). */
static void wait_head(llm_client *c)
{
	while (c->count && c->ring[c->head]->state != ST_DONE && !c->fatal) {
		perform(c);
		if (c->ring[c->head]->state == ST_DONE || c->fatal)
			break;
		curl_multi_poll(c->multi, NULL, 0, wake_ms(c), NULL);
	}
}

static int is_shown_http(llm_client *c, long http)
{
	for (int i = 0; i < c->nshown_http; i++)
		if (c->shown_http[i] == http)
			return 1;
	if (c->nshown_http < 16)
		c->shown_http[c->nshown_http++] = http;
	return 0;
}

static void deliver_ready(llm_client *c)
{
	while (c->count && c->ring[c->head]->state == ST_DONE) {
		item *it = c->ring[c->head];
		llm_result r = {
			.index = it->index, .user = it->user, .status = it->status,
			.cached = it->cached || it->stored, .answer = it->answer, .content = it->content,
			.error = it->error, .reason = it->status == LLM_INVALID ? it->reason : LLM_R_OK,
			.requests = it->requests,
		};
		if (it->status == LLM_OK) {
			c->st.ok++;
		} else {
			if (it->status == LLM_INVALID)
				c->st.failed_invalid++;
			else
				c->st.failed_server++;
			if (it->stored)
				c->st.failed_cached++;
			else if (it->keep_failure && !it->from_twin)
				cache_store_failure(c, it);
			const char *what = c->o.on_invalid == LLM_FALLBACK
			                   ? "using the rule-based result" : "reported";
			if (c->o.on_invalid == LLM_FALLBACK)
				c->st.fallbacks++;
			else
				c->st.reported++;
			/* A rejection (4xx) is shown once per status; other failures
			 * up to SHOW_FAILURES times; the summary counts them all. */
			int rejected = it->status == LLM_FAILED && it->http >= 400 && it->http < 500;
			if (rejected ? !is_shown_http(c, it->http) : c->failures_shown < SHOW_FAILURES) {
				if (!rejected)
					c->failures_shown++;
				note(c, "record %ld: %s%s; %s%s", it->index, it->stored ? "(kept in --cache) " : "",
				     it->error ? it->error : "failed", what,
				     rejected ? " (later rejections like it are counted, not shown)" :
				     c->failures_shown == SHOW_FAILURES ? " (later failures are counted, not shown)" : "");
			}
		}
		c->deliver(c->dctx, &r);
		c->st.delivered++;
		c->dl_group = it->group;
		c->dl_deadline = it->deadline;
		item_free(it);
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % c->cap;
		c->count--;
	}
}

/* A stored answer or failure for it (with --cache): done without a request. */
static void from_cache(llm_client *c, item *it)
{
	jv entry;
	char e[700];
	int r = llm_cache_get(c->cache, it->key, &entry, e, sizeof e);
	if (r > 0) {
		jv failed = jv_object_get(jv_copy(entry), jv_string("failed"));
		jv content = jv_object_get(jv_copy(entry), jv_string("content"));
		if (jv_get_kind(content) == JV_KIND_STRING) {
			it->content_len = (size_t)jv_string_length_bytes(jv_copy(content));
			it->content = xmalloc(it->content_len + 1);
			memcpy(it->content, jv_string_value(content), it->content_len + 1);
		}
		jv_free(content);
		if (jv_get_kind(failed) == JV_KIND_OBJECT) {
			if (!c->o.retry_failed) {
				jv st = jv_object_get(jv_copy(failed), jv_string("status"));
				jv er = jv_object_get(jv_copy(failed), jv_string("error"));
				jv re = jv_object_get(jv_copy(failed), jv_string("reason"));
				jv ht = jv_object_get(jv_copy(failed), jv_string("http"));
				int invalid = jv_get_kind(st) == JV_KIND_STRING && !strcmp(jv_string_value(st), "invalid");
				for (int k = 1; k < LLM_R_N && jv_get_kind(re) == JV_KIND_STRING; k++)
					if (!strcmp(llm_reason_name(k), jv_string_value(re)))
						it->reason = k;
				if (jv_get_kind(ht) == JV_KIND_NUMBER)
					it->http = (long)jv_number_value(ht);
				it->stored = 1;
				item_done(c, it, invalid ? LLM_INVALID : LLM_FAILED,
				          scrubbed(c, "%s (--retry-failed asks again)",
				                   jv_get_kind(er) == JV_KIND_STRING ? jv_string_value(er) : "failed"));
				jv_free(st);
				jv_free(er);
				jv_free(re);
				jv_free(ht);
			}
			if (it->state != ST_DONE) {   /* asked again: the stored content is no answer of this run */
				free(it->content);
				it->content = NULL;
				it->content_len = 0;
			}
		} else {
			jv ans = jv_object_get(jv_copy(entry), jv_string("answer"));
			char ve[500] = "";
			if (!it->format || llm_check_answer(ans, it->format, it->ctx, ve, sizeof ve) == LLM_R_OK) {
				it->answer = ans;
				it->cached = 1;
				c->st.cached++;
				item_done(c, it, LLM_OK, NULL);
			} else {
				jv_free(ans);
				char *p = llm_cache_path(c->cache, it->key);
				snprintf(e, sizeof e, "%s: stored answer fails the check (%s)", p, ve);
				free(p);
				r = -1;
			}
		}
		jv_free(failed);
		jv_free(entry);
	}
	if (r < 0) {
		free(it->content);
		it->content = NULL;
		it->content_len = 0;
		c->st.cache_bad++;
		if (!(c->warned & W_CACHE)) {
			c->warned |= W_CACHE;
			note(c, "ignoring %s; asking again (later ones are counted, not shown)", e);
		}
	}
}

int llm_submit(llm_client *c, const llm_request *rq)
{
	if (c->fatal || output_gone(c)) {
		jv_free(rq->messages);
		return -1;
	}
	while (c->count == c->cap) {
		wait_head(c);
		deliver_ready(c);
		if (c->fatal) {
			jv_free(rq->messages);
			return -1;
		}
	}
	item *it = xcalloc(1, sizeof *it);
	it->index = rq->index;
	it->group = rq->same_record && c->group ? c->group : ++c->group;
	it->user = rq->user;
	it->messages = rq->messages;
	it->format = rq->format;
	it->ctx = rq->ctx;
	it->max_tokens = rq->max_tokens;
	it->answer = jv_invalid();
	it->state = ST_QUEUED;
	set_body(c, it);
	it->body0 = xstrdup(it->body);
	/* The key leaves response_format out: the same question asked with
	 * or without a schema (after a fallback, or with --structured) is
	 * answered once. */
	char *kb = llm_request_body(&c->o, LLM_STRUCT_NONE, it->format, it->max_tokens, it->messages);
	llm_cache_key(c->o.model, kb, strlen(kb), it->key);
	free(kb);
	c->st.submitted++;
	if (c->cache)
		from_cache(c, it);
	if (c->cache && it->state == ST_QUEUED) {
		/* the same request already on its way: wait for its answer */
		for (int k = 0; k < c->count; k++) {
			item *o = c->ring[(c->head + k) % c->cap];
			if (!o->twin_of && o->state != ST_DONE && o->state != ST_ABORTED &&
			    o->state != ST_TWIN && !strcmp(o->key, it->key)) {
				it->twin_of = o;
				o->has_twins = 1;
				it->state = ST_TWIN;
				break;
			}
		}
	}
	c->ring[(c->head + c->count) % c->cap] = it;
	c->count++;
	perform(c);
	deliver_ready(c);
	return c->fatal ? -1 : 0;
}

int llm_drain(llm_client *c)
{
	while (c->count && !c->fatal) {
		wait_head(c);
		deliver_ready(c);
	}
	if (c->fatal) {
		deliver_ready(c);
		return -1;
	}
	return 0;
}

const char *llm_error(const llm_client *c)
{
	return c->fatal ? c->fatal : "no error";
}

int llm_output_closed(const llm_client *c)
{
	return c->closed;
}

const llm_stats *llm_get_stats(const llm_client *c)
{
	return &c->st;
}

void llm_stats_print(const llm_client *c)
{
	const llm_stats *s = &c->st;
	long failed = s->failed_invalid + s->failed_server;
	if (c->o.quiet && !failed && !s->cache_bad)
		return;
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%ld quer%s: %ld answered by the server, %ld from the cache",
	                 s->delivered, s->delivered == 1 ? "y" : "ies", s->ok - s->cached, s->cached);
	if (failed) {
		n += snprintf(buf + n, sizeof buf - (size_t)n, ", %ld %s (%ld never valid, %ld failed at the server",
		              failed, c->o.on_invalid == LLM_FALLBACK ? "fell back to the rules" : "reported",
		              s->failed_invalid, s->failed_server);
		if (s->failed_cached)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "; %ld of them failures kept in the cache, "
			              "--retry-failed asks again", s->failed_cached);
		n += snprintf(buf + n, sizeof buf - (size_t)n, ")");
	}
	n += snprintf(buf + n, sizeof buf - (size_t)n,
	              "; %ld HTTP requests (%ld retries after errors, %ld invalid answers, %ld re-asks)",
	              s->sent, s->retries, s->invalid, s->reasks);
	if (s->cache_bad)
		snprintf(buf + n, sizeof buf - (size_t)n, "; %ld unusable cache files ignored", s->cache_bad);
	cli_msg("llm: %s", buf);
	if (s->invalid) {
		n = snprintf(buf, sizeof buf, "invalid answers by reason:");
		const char *sep = " ";
		for (int r = 1; r < LLM_R_N; r++)
			if (s->invalid_by[r]) {
				n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%ld %s", sep, s->invalid_by[r],
				              llm_reason_name(r));
				sep = ", ";
			}
		cli_msg("llm: %s", buf);
	}
	if (s->not_retried || s->out_of_time) {
		n = 0;
		buf[0] = 0;
		if (s->not_retried)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%ld error%s not retried (%s would repeat)",
			              s->not_retried, s->not_retried == 1 ? "" : "s", s->not_retried == 1 ? "it" : "they");
		if (s->out_of_time)
			snprintf(buf + n, sizeof buf - (size_t)n, "%s%ld record%s out of time (--record-timeout %g s)",
			         n ? "; " : "", s->out_of_time, s->out_of_time == 1 ? "" : "s", c->o.record_timeout);
		cli_msg("llm: %s", buf);
	}
}

void llm_finish(llm_client *c, int fatal)
{
	if (c->closed) {
		/* like a write to a closed standard output: quietly, status 0 */
		llm_close(c);
		exit(EXIT_OK);
	}
	llm_stats_print(c);
	if (fatal)
		cli_die("%s", llm_error(c));
	llm_close(c);
}

void llm_close(llm_client *c)
{
	if (!c)
		return;
	for (int k = 0; c->ring && k < c->count; k++) {
		item *it = c->ring[(c->head + k) % c->cap];
		if (it->easy) {
			curl_multi_remove_handle(c->multi, it->easy);
			curl_easy_cleanup(it->easy);
		}
		item_free(it);
	}
	free(c->ring);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->hdrs);
	if (c->global_init)
		curl_global_cleanup();
	llm_cache_close(c->cache);
	prompt_free(c->reask);
	if (c->key) {
		explicit_bzero(c->key, strlen(c->key));
		free(c->key);
	}
	free(c->endpoint);
	free(c->shown_url);
	free(c->fatal);
	free(c);
}
