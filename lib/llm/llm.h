/* lib/llm/: the LLM client and its kg/ answers (prompts, cache, checking);
 * depends on base/ and kg/; only its option parsing ends the process (usage
 * errors).
 *
 * llm.h — an OpenAI-compatible chat-completions client for kgextract and
 * kgsynth: concurrent (libcurl multi), answers delivered in input order,
 * retried, cached on disk, validated. Works with llama.cpp's server, Ollama,
 * vLLM and hosted APIs: POST {URL}{PATH} with {"model", "messages", ...}.
 *
 * Options (both programs): splice LLM_LONG_OPTIONS into the getopt_long
 * table and LLM_OPTIONS_HELP into --help; in the getopt loop let
 * llm_getopt() take its options; after the loop call llm_opts_check()
 * with the program's -q and --seed.
 *
 *   llm_opts lo;
 *   llm_opts_init(&lo);
 *   lo.temperature = 0;                  // a program's own default, if any
 *   static const struct option longopts[] = { {"seed", 1, 0, 's'}, ...,
 *       LLM_LONG_OPTIONS, {0, 0, 0, 0} };
 *   while ((c = getopt_long(...)) != -1) switch (c) {
 *       ...
 *       default: if (!llm_getopt(&lo, c, optarg)) cli_usage_error(NULL);
 *   }
 *   llm_opts_check(&lo, co.quiet, seed); // usage errors exit 2
 *
 * The queue: submit requests (llm_request: the record's index, the chat
 * messages, the answer's format, a context for its check, its max_tokens, a
 * pointer of your own); results come back through the deliver callback
 * strictly in submission order. At most opts.window requests are outstanding
 * (running, waiting or done but not yet delivered); llm_submit runs the
 * network until there is room, so memory stays flat however long the input.
 * Everything (curl, jv, callbacks) runs on the calling thread.
 *
 *   llm_format fmt;                      // what an answer must be (llmanswer.h)
 *   llm_format_init(&fmt, "text", LLM_SHAPE_TEXT, llm_check_text, err, sizeof err);
 *   llm_client *c = llm_open(&lo, deliver, &state, err, sizeof err);
 *   if (!c) cli_die("%s", err);
 *   while (more records)
 *       if (llm_submit(c, &(llm_request){.index = i, .messages = m, .format = &fmt,
 *                                        .ctx = anchor, .max_tokens = 128, .user = rec}) < 0)
 *           cli_die("%s", llm_error(c));
 *   if (llm_drain(c) < 0) cli_die("%s", llm_error(c));
 *   llm_stats_print(c);                  // counts on stderr
 *   llm_close(c);
 * or, in a program that still has output to finish after a fatal error:
 *   int fatal = 0;
 *   while (!fatal && more records)
 *       fatal = llm_submit(c, &rq) < 0;
 *   if (!fatal) fatal = llm_drain(c) < 0;
 *   ndjson_finish();                     // what was delivered
 *   llm_finish(c, fatal);                // counts; exit 1 if fatal; close
 *
 * Requests: every request carries the format's JSON Schema as
 * response_format json_schema (--structured schema, the default; json: the
 * older json_object; none: nothing), max_tokens (--max-tokens, else the
 * request's own), and seed (opts.seed). A server that rejects
 * response_format (HTTP 400 or 422 whose body names response_format,
 * json_schema or schema) makes the client fall back once to --structured
 * none for the rest of the run, said on stderr; the rejected requests are
 * sent again without it.
 *
 * Failures: connection errors, timeouts, malformed response bodies, 408,
 * 429 and 5xx are retried (--retries) after an exponential backoff with
 * jitter (--backoff doubles each time up to 60 s; a Retry-After header is
 * honoured and pauses new requests too), except errors that would repeat:
 * HTTP 501, and an HTTP 500 whose body is the same as the previous one of
 * the same request. Every record has a time budget (--record-timeout, from
 * its first request, all its requests, waits and re-asks together): no
 * request runs past it, no retry waits past it (a Retry-After longer than
 * what is left ends the record at once, said), and a record out of time
 * fails. An answer that is not the expected JSON, or fails the format's
 * check, is asked again (--invalid-retries), telling the model what was
 * wrong. A record whose answer stays invalid, that the server rejects (a
 * 4xx), or that fails after all retries is delivered with status
 * LLM_INVALID or LLM_FAILED: the program then uses its rule-based result
 * (opts.on_invalid == LLM_FALLBACK, marked "source": "rules") or writes the
 * record without it (LLM_REPORT); the library counts and reports both, with
 * the reasons. Fatal (llm_submit / llm_drain return -1): cannot connect
 * after all retries, HTTP 401/403/404/405/407 or a redirect (wrong key, URL,
 * path or model: every other request would fail the same way), or
 * max(8, 2 jobs) records in a row failing at the server.
 *
 * The output: with opts.watch_fd (the program's standard output), the client
 * looks at it before every request it starts; once its reader has gone (a
 * closed pipe, e.g. "| head -1"), it starts nothing more, llm_submit and
 * llm_drain return -1, and llm_finish ends the program quietly with status
 * 0, as a write to a closed standard output does. (The program should flush
 * each record as it writes it, so that the reader sees it at once.)
 *
 * The cache (--cache DIR, llmcache.h) keeps valid answers and the failures
 * that would repeat (an answer that stayed invalid; a request the server
 * rejects: a 4xx, or the same HTTP 500 twice); a stored failure is delivered
 * again without a request unless --retry-failed. Timeouts, retries run out
 * and records out of time are not stored: a rerun asks them again.
 *
 * The API key comes from $GCSE_LLM_API_KEY, else $OPENAI_API_KEY, and is
 * sent as "Authorization: Bearer KEY"; it is removed from every message the
 * library makes and never stored in the cache. */
#ifndef GCSE_LLM_H
#define GCSE_LLM_H
#include <getopt.h>
#include <jv.h>
#include <stddef.h>

#include "llm/llmanswer.h"

enum { LLM_FALLBACK = 0, LLM_REPORT = 1 };
enum { LLM_STRUCT_SCHEMA = 0, LLM_STRUCT_JSON = 1, LLM_STRUCT_NONE = 2 };

typedef struct llm_opts {
	const char *url;          /* --llm: server base URL; NULL: no LLM */
	const char *model;        /* --llm-model (NULL: not sent) */
	const char *path;         /* --llm-path (default "/v1/chat/completions") */
	double temperature;       /* --temperature; < 0: not sent */
	double top_p;             /* --top-p; < 0: not sent */
	long max_tokens;          /* --max-tokens; 0: each request's own (llm_request) */
	long seed;                /* sent as "seed" (its low 31 bits); < 0: not sent;
	                             the program sets it from its --seed */
	double timeout;           /* --timeout: seconds per request (default 120) */
	double record_timeout;    /* --record-timeout: seconds per record (default 300) */
	int jobs;                 /* --jobs: concurrent requests (default 4) */
	int retries;              /* --retries: per request, transport (default 5) */
	int invalid_retries;      /* --invalid-retries: re-asks (default 2) */
	double backoff;           /* --backoff: first retry delay, s (default 1) */
	int structured;           /* --structured: LLM_STRUCT_SCHEMA (default), _JSON
	                             (also --json-mode), _NONE */
	const char *cache_dir;    /* --cache DIR */
	int retry_failed;         /* --retry-failed: ask again what the cache holds as failed */
	int on_invalid;           /* --on-invalid: LLM_FALLBACK or LLM_REPORT */
	const char *prompts_dir;  /* --prompts DIR (see prompts.h) */
	int window;               /* outstanding requests (default max(64, 8 jobs)) */
	int watch_fd;             /* the output to watch (see above); -1: none */
	int quiet;                /* the program's -q: no retry notes or summary
	                             unless something failed */
	unsigned given;           /* which LLM options were given (bit per option) */
} llm_opts;

/* getopt_long values of the LLM options. */
enum {
	LLM_OPT_URL = 0x4c00, LLM_OPT_MODEL, LLM_OPT_PATH, LLM_OPT_TEMPERATURE,
	LLM_OPT_TOP_P, LLM_OPT_MAX_TOKENS, LLM_OPT_TIMEOUT, LLM_OPT_RECORD_TIMEOUT, LLM_OPT_JOBS,
	LLM_OPT_RETRIES, LLM_OPT_INVALID_RETRIES, LLM_OPT_BACKOFF, LLM_OPT_STRUCTURED,
	LLM_OPT_JSON_MODE, LLM_OPT_CACHE, LLM_OPT_RETRY_FAILED, LLM_OPT_ON_INVALID,
	LLM_OPT_PROMPTS, LLM_OPT_END
};

#define LLM_LONG_OPTIONS \
	{"llm", required_argument, NULL, LLM_OPT_URL}, \
	{"llm-model", required_argument, NULL, LLM_OPT_MODEL}, \
	{"llm-path", required_argument, NULL, LLM_OPT_PATH}, \
	{"temperature", required_argument, NULL, LLM_OPT_TEMPERATURE}, \
	{"top-p", required_argument, NULL, LLM_OPT_TOP_P}, \
	{"max-tokens", required_argument, NULL, LLM_OPT_MAX_TOKENS}, \
	{"timeout", required_argument, NULL, LLM_OPT_TIMEOUT}, \
	{"record-timeout", required_argument, NULL, LLM_OPT_RECORD_TIMEOUT}, \
	{"jobs", required_argument, NULL, LLM_OPT_JOBS}, \
	{"retries", required_argument, NULL, LLM_OPT_RETRIES}, \
	{"invalid-retries", required_argument, NULL, LLM_OPT_INVALID_RETRIES}, \
	{"backoff", required_argument, NULL, LLM_OPT_BACKOFF}, \
	{"structured", required_argument, NULL, LLM_OPT_STRUCTURED}, \
	{"json-mode", no_argument, NULL, LLM_OPT_JSON_MODE}, \
	{"cache", required_argument, NULL, LLM_OPT_CACHE}, \
	{"retry-failed", no_argument, NULL, LLM_OPT_RETRY_FAILED}, \
	{"on-invalid", required_argument, NULL, LLM_OPT_ON_INVALID}, \
	{"prompts", required_argument, NULL, LLM_OPT_PROMPTS}

#define LLM_OPTIONS_HELP \
"LLM options (an OpenAI-compatible chat-completions server; the API key, if\n" \
"any, is read from $GCSE_LLM_API_KEY, else $OPENAI_API_KEY):\n" \
"      --llm URL             ask the server at URL, e.g. http://127.0.0.1:8080\n" \
"      --llm-model NAME      model name to request (needed by Ollama, vLLM and\n" \
"                            hosted APIs; llama.cpp's server ignores it)\n" \
"      --llm-path PATH       endpoint path (default /v1/chat/completions)\n" \
"      --temperature T       sampling temperature, 0..2 (default: the server's)\n" \
"      --top-p P             nucleus sampling, 0..1 (default: the server's)\n" \
"      --max-tokens N        answer length limit, 1..1000000 (default: sized to\n" \
"                            each prompt's answer, see the man page)\n" \
"      --timeout SECONDS     per request, 0.1..86400 (default 120)\n" \
"      --record-timeout SECONDS  per record, all its requests, retries, waits\n" \
"                            and re-asks together, 1..604800 (default 300)\n" \
"      --jobs N              concurrent requests, 1..1024 (default 4); output\n" \
"                            stays in input order\n" \
"      --retries N           retries of a request after a connection error,\n" \
"                            timeout, HTTP 408, 429 or 5xx, 0..100 (default 5);\n" \
"                            not of errors that would repeat (HTTP 501, the\n" \
"                            same HTTP 500 twice)\n" \
"      --invalid-retries N   times to ask again when an answer is not the\n" \
"                            expected JSON or fails its checks, 0..100 (default 2)\n" \
"      --backoff SECONDS     first retry delay, doubled each time up to 60 s,\n" \
"                            with jitter; 0..600 (default 1)\n" \
"      --structured WHAT     how to ask for JSON: 'schema' (response_format\n" \
"                            json_schema, the answer's JSON Schema; default),\n" \
"                            'json' (json_object) or 'none'; a server that\n" \
"                            rejects response_format gets none from then on\n" \
"      --json-mode           the same as --structured json\n" \
"      --cache DIR           keep every answer in DIR and never ask twice\n" \
"      --retry-failed        ask again what --cache holds as failed\n" \
"      --on-invalid WHAT     when a record gets no valid answer: 'fallback' to\n" \
"                            the rule-based result, marked source \"rules\"\n" \
"                            (default), or 'report' it (record kept without,\n" \
"                            exit status 1)\n" \
"      --prompts DIR         prompt files (default: the installed ones)\n"

/* Defaults (LLM off). */
void llm_opts_init(llm_opts *o);
/* getopt value c: 1 if it is an LLM option (handled), 0 if not. A bad value
 * is a usage error (exit 2, via cli_usage_error). */
int llm_getopt(llm_opts *o, int c, const char *arg);
/* The same by long name without dashes ("jobs"); 0 for an unknown name. */
int llm_option(llm_opts *o, const char *name, const char *arg);
/* After option parsing: the program's -q and --seed (< 0: none) taken, its
 * standard output watched (watch_fd); LLM options without --llm, or a URL
 * that is not http(s)://, are usage errors. */
void llm_opts_check(llm_opts *o, int quiet, long seed);

enum { LLM_OK = 0, LLM_INVALID = 1, LLM_FAILED = 2 };

/* One question (see llm_submit). */
typedef struct llm_request {
	long index;                /* the record's number in messages ("record 17: ...") */
	int same_record;           /* 1: the same record as the request submitted just
	                              before (kgsynth's candidates): they share its time
	                              budget (--record-timeout) */
	jv messages;               /* [{"role","content"}], consumed */
	const llm_format *format;  /* what the answer must be; NULL: any JSON object */
	void *ctx;                 /* for format->check */
	long max_tokens;           /* this answer's limit unless --max-tokens; 0: none */
	void *user;                /* yours, back in the result */
} llm_request;

typedef struct llm_result {
	long index;          /* as submitted */
	void *user;          /* as submitted */
	int status;          /* LLM_OK, LLM_INVALID (answer never valid), LLM_FAILED */
	int cached;          /* from --cache (a stored answer, or a stored failure), no request sent */
	jv answer;           /* LLM_OK: the validated object; borrowed (jv_copy to keep) */
	const char *content; /* the last raw answer text, or NULL */
	const char *error;   /* status != LLM_OK: why, e.g. "wrong shape: text: missing" */
	int reason;          /* LLM_INVALID: the last answer's llm_reason, else LLM_R_OK */
	int requests;        /* HTTP requests this record took */
} llm_result;

/* Called for each request, in submission order, from inside llm_submit or
 * llm_drain. It must not call llm_submit / llm_drain. */
typedef void (*llm_deliver_fn)(void *ctx, const llm_result *r);

typedef struct llm_stats {
	long submitted;       /* requests submitted */
	long delivered;       /* results delivered */
	long ok;              /* valid answers delivered (from the server or cache) */
	long cached;          /* ... of which from --cache */
	long sent;            /* HTTP requests sent */
	long retries;         /* ... of which repeats after an error */
	long answers;         /* HTTP 200 answers received */
	long invalid;         /* answers that were not the expected JSON or failed its checks */
	long invalid_by[LLM_R_N];  /* ... by reason */
	long reasks;          /* requests asking again after an invalid answer */
	long failed_invalid;  /* records whose answer stayed invalid */
	long failed_server;   /* records rejected (4xx) or failing after all retries */
	long failed_cached;   /* ... of these two, failures delivered from --cache */
	long not_retried;     /* errors not retried because they would repeat */
	long out_of_time;     /* records that ran out of --record-timeout */
	long fallbacks;       /* failed records left to the rule-based result */
	long reported;        /* failed records reported (--on-invalid report) */
	long cache_written;   /* answers and failures stored in --cache */
	long cache_bad;       /* unreadable cache files ignored (asked anew) */
	int format_rejected;  /* the server rejected response_format: none since */
} llm_stats;

typedef struct llm_client llm_client;

/* Resolve the URL, read the API key, open the cache, load the re-ask prompt
 * (PROMPTS/reask.txt). NULL and err on failure. */
llm_client *llm_open(const llm_opts *o, llm_deliver_fn deliver, void *ctx,
                     char *err, size_t errlen);
/* Queue one request (rq->messages consumed). The format and rq->ctx must stay
 * valid until the result is delivered. A cached answer (or stored failure) is
 * delivered without a request; with --cache, a request identical to one
 * still on its way takes that one's answer instead of being sent. Blocks
 * while the window is full. 0, or -1 after a fatal error (llm_error; the
 * results before it have been delivered; this request may or may not have
 * been queued) or once the watched output has closed (llm_output_closed). */
int llm_submit(llm_client *c, const llm_request *rq);
/* Run until every submitted request is delivered. 0, or -1 (llm_error). */
int llm_drain(llm_client *c);
const char *llm_error(const llm_client *c);
/* 1 once opts.watch_fd's reader has gone. */
int llm_output_closed(const llm_client *c);
const llm_stats *llm_get_stats(const llm_client *c);
/* The summary on stderr: "llm: N queries: ... answered, ... from the cache,
 * ... fell back to rules; N requests, N retries, N invalid answers", then
 * the invalid answers by reason and what was not retried or ran out of time. */
void llm_stats_print(const llm_client *c);
/* Abort transfers still running, free everything. */
void llm_close(llm_client *c);
/* The end of a program's run: once the watched output has closed, exit 0
 * quietly; else llm_stats_print, then after a fatal error (fatal: llm_submit
 * or llm_drain returned -1) exit 1 with llm_error's message (cli_die), else
 * llm_close. */
void llm_finish(llm_client *c, int fatal);
/* The request body the client sends (malloc'ed, for tests and for --dry-run
 * style tools): messages borrowed; structured: the LLM_STRUCT_* in force;
 * max_tokens: the request's own (--max-tokens, o->max_tokens, wins). */
char *llm_request_body(const llm_opts *o, int structured, const llm_format *f, long max_tokens,
                       jv messages);

/* ---- pieces, exposed for tests ---- */
/* Delay before retry number n (1, 2, ...): d = min(cap, base 2^(n-1)),
 * uniformly in [d/2, d] as u goes over [0, 1). */
double llm_backoff(int n, double base, double cap, double u);
/* A Retry-After value: seconds, or an HTTP date (relative to now). -1 if
 * unparseable; never below 0. */
double llm_retry_after(const char *value, long now);
/* Replace every occurrence of secret in s (in place) by "[key]" or fewer
 * characters; no-op for a NULL or empty secret. */
void llm_scrub(char *s, const char *secret);
/* {base}{path}: drops a doubled "/v1" ("http://h/v1" + "/v1/chat/...") and
 * keeps a base that already ends in path (malloc'ed). */
char *llm_endpoint(const char *base, const char *path);
/* Content of the first choice of a chat-completions response body. 1 and
 * *content (malloc'ed, *clen bytes, NUL characters kept, terminated), else 0
 * and err. *finish gets finish_reason if any. */
int llm_parse_response(const char *body, size_t len, char **content, size_t *clen, char *finish,
                       size_t finishlen, char *err, size_t errlen);
/* The server's error message from an error body ({"error": {"message"}},
 * {"error": "..."}, {"message": ...} or plain text), one line, at most
 * outlen-1 bytes. */
void llm_server_message(const char *body, size_t len, char *out, size_t outlen);
#endif
