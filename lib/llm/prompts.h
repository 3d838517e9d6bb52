/* prompts.h — prompt files: readable text the user can override.
 *
 * Where: prompts_dir() picks the folder: --prompts DIR, else $GCSE_PROMPTS,
 * else GCSE_DATADIR "/prompts" (set at build time for installs), else a
 * "prompts" folder next to the build: EXE/../../prompts (build/bin/x) or
 * EXE/../share/gcse/prompts (PREFIX/bin/x).
 *
 * A prompt file NAME.txt holds a chat: "[system]" and "[user]" lines start the
 * two messages; text before the first of them is a comment for the reader
 * and is not sent. A file without either line is one user message.
 * Placeholders: {{name}} puts the value in as it is; {{name|json}} as a JSON
 * string literal (quoted and escaped), which keeps quotes and newlines in a
 * sentence from blurring where it ends. An unknown name is an error (a typo
 * never silently sends an empty field). "{{" not followed by a name and "}}"
 * is plain text.
 *
 *   prompt *p = prompt_load(dir, "kgsynth-rewrite", err, sizeof err);
 *   const char *vars[] = {"text", sentence, "style", "formal", NULL};
 *   jv messages = prompt_messages(p, vars, err, sizeof err);
 */
#ifndef GCSE_PROMPTS_H
#define GCSE_PROMPTS_H
#include <jv.h>
#include <stddef.h>

typedef struct prompt {
	char *path;     /* the file it was read from */
	char *system;   /* NULL if the file has no [system] part */
	char *user;
} prompt;

/* The prompts folder (malloc'ed), or NULL and err naming what was tried.
 * opt: the --prompts argument or NULL. */
char *prompts_dir(const char *opt, char *err, size_t errlen);
/* Read DIR/NAME.txt. NULL and err ("DIR/NAME.txt: No such file ...") on failure. */
prompt *prompt_load(const char *dir, const char *name, char *err, size_t errlen);
/* Parse prompt text (as read from a file called path). */
prompt *prompt_parse(const char *text, const char *path, char *err, size_t errlen);
void prompt_free(prompt *p);
/* 1 when every placeholder of p is one of names (NULL-terminated), else 0
 * and err "FILE: unknown placeholder {{x}} (known: a, b)". Use at start-up. */
int prompt_check(const prompt *p, const char *const *names, char *err, size_t errlen);
/* Fill a template; vars: name, value, name, value, ..., NULL. NULL and err
 * when a placeholder has no value. */
char *prompt_fill(const char *tmpl, const char *const *vars, char *err, size_t errlen);
/* [{"role":"system","content":...}, {"role":"user","content":...}];
 * jv_invalid() and err on a missing value. */
jv prompt_messages(const prompt *p, const char *const *vars, char *err, size_t errlen);
#endif
