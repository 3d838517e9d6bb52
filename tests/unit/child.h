/* child.h — run code that may exit (a usage error, --help) in a child
 * process, for unit tests of option handling:
 *
 *   char out[1024];
 *   int rc = t_child(fn, arg, out, sizeof out);   // fn(arg) in the child
 *
 * rc: the child's exit status; -1 when fn returned; -2 when the child was
 * killed or could not start. out: what it wrote on stdout and stderr. */
#ifndef GCSE_CHILD_H
#define GCSE_CHILD_H
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { T_CHILD_RETURNED = 125 };

static int t_child(void (*fn)(void *), void *arg, char *out, size_t cap)
{
	out[0] = 0;
	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	if (!tmp)
		return -2;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fileno(tmp), STDOUT_FILENO);
		dup2(fileno(tmp), STDERR_FILENO);
		fn(arg);
		fflush(stdout);
		_exit(T_CHILD_RETURNED);
	}
	int st = 0;
	int ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st);
	rewind(tmp);
	size_t n = fread(out, 1, cap - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	if (!ok)
		return -2;
	return WEXITSTATUS(st) == T_CHILD_RETURNED ? -1 : WEXITSTATUS(st);
}
#endif
