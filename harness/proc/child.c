/* SPDX-License-Identifier: BSD-3-Clause */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "child.h"

int child_spawn(struct child *c, const char *const argv[])
{
	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->out_fd = p[0];
	return 0;
}

void child_drain(struct child *c)
{
	while (c->out_fd >= 0 && c->out_len < sizeof(c->out) - 1) {
		ssize_t n = read(c->out_fd, c->out + c->out_len, sizeof(c->out) - 1 - c->out_len);
		if (n <= 0)
			break;
		c->out_len += (size_t)n;
		c->out[c->out_len] = '\0';
	}
}

bool child_out_has(struct child *c, const char *text)
{
	child_drain(c);
	return strstr(c->out, text) != NULL;
}

bool child_reaped(struct child *c)
{
	int st;
	if (c->pid > 0 && waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->status = st;
		c->pid = 0;
	}
	child_drain(c);
	return c->pid == 0;
}

void child_end(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &c->status, 0);
		c->pid = 0;
	}
	child_drain(c);
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}
