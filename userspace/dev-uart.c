// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: 16550A UART at COM1 (0x3f8, IRQ 4), wired to the
 * launcher's stdin/stdout.  Transmission is instant, so THR is always
 * empty; the THRE and received-data interrupts follow IER, and the line
 * to the IOAPIC is raised only with MCR OUT2, as on a PC.
 *
 * The console: stdin in raw mode when it is a terminal (restored on every
 * exit path, uart_console_restore()), a thread moves its bytes into the
 * receive FIFO.  Ctrl-A x ends the VM, Ctrl-A Ctrl-A sends a Ctrl-A.
 * Output is also scanned for "Kernel panic - not syncing" so that a
 * guest panic maps to --on-crash.
 * Register accesses are called with vm.io_lock held.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "run.h"

#define FIFO	256

static struct {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, msr_loop;
	bool thre_pending;
	bool irq;
	uint8_t rx[FIFO];
	unsigned int rx_head, rx_count;
	char line[160];
	unsigned int line_len;
} u;

static struct termios saved_tio;
static bool tio_saved;
static pthread_t input_thread;
static bool input_started;

void uart_reset(void)
{
	uint8_t rx[FIFO];
	unsigned int head = u.rx_head, cnt = u.rx_count;

	/* Typed-ahead input survives a guest reboot. */
	memcpy(rx, u.rx, FIFO);
	memset(&u, 0, sizeof(u));
	memcpy(u.rx, rx, FIFO);
	u.rx_head = head;
	u.rx_count = cnt;
}

static uint8_t iir(void)
{
	uint8_t fifo = (u.fcr & 1) ? 0xc0 : 0;

	if ((u.ier & 1) && u.rx_count)
		return fifo | 0x04;
	if ((u.ier & 2) && u.thre_pending)
		return fifo | 0x02;
	return fifo | 0x01;
}

static void update_irq(struct vm *vm)
{
	bool level = !(iir() & 1) && (u.mcr & 0x08);

	if (level != u.irq) {
		u.irq = level;
		ioapic_set_irq(vm, IRQ_COM1, level);
	}
}

static void console_out(struct vm *vm, uint8_t c)
{
	static const char panic_msg[] = "Kernel panic - not syncing";
	ssize_t r;

	do {
		r = write(STDOUT_FILENO, &c, 1);
	} while (r < 0 && errno == EINTR);

	if (c == '\n' || u.line_len == sizeof(u.line) - 1) {
		u.line[u.line_len] = 0;
		if (strstr(u.line, panic_msg) && !vm->panic_seen) {
			vm->panic_seen = true;
			vm->panic_ns = now_ns();
		}
		u.line_len = 0;
	} else if (c != '\r') {
		u.line[u.line_len++] = c;
	}
}

bool uart_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data)
{
	int reg = port - PORT_COM1;
	bool dlab = u.lcr & 0x80;
	uint8_t v = *data;

	if (port < PORT_COM1 || port > PORT_COM1 + 7)
		return false;
	if (in) {
		switch (reg) {
		case 0:
			if (dlab) {
				v = u.dll;
			} else if (u.rx_count) {
				v = u.rx[u.rx_head];
				u.rx_head = (u.rx_head + 1) % FIFO;
				u.rx_count--;
			} else {
				v = 0;
			}
			break;
		case 1:
			v = dlab ? u.dlm : u.ier;
			break;
		case 2:
			v = iir();
			if ((v & 0xf) == 0x02)
				u.thre_pending = false;
			break;
		case 3:
			v = u.lcr;
			break;
		case 4:
			v = u.mcr;
			break;
		case 5:
			v = 0x60 | (u.rx_count ? 1 : 0);	/* THRE, TEMT */
			break;
		case 6:
			if (u.mcr & 0x10)	/* loopback: MCR drives MSR */
				v = ((u.mcr & 1) << 5) | ((u.mcr & 2) << 3) |
				    ((u.mcr & 4) << 4) | ((u.mcr & 8) << 4);
			else
				v = 0xb0;		/* DCD, DSR, CTS */
			break;
		default:
			v = u.scr;
		}
		*data = v;
	} else {
		switch (reg) {
		case 0:
			if (dlab) {
				u.dll = v;
			} else if (u.mcr & 0x10) {
				if (u.rx_count < FIFO) {
					u.rx[(u.rx_head + u.rx_count) % FIFO] = v;
					u.rx_count++;
				}
				u.thre_pending = true;
			} else {
				console_out(vm, v);
				u.thre_pending = true;
			}
			break;
		case 1:
			if (dlab) {
				u.dlm = v;
			} else {
				if ((v & 2) && !(u.ier & 2))
					u.thre_pending = true;
				u.ier = v & 0x0f;
			}
			break;
		case 2:
			u.fcr = v & 0xc9;
			if (v & 2) {
				u.rx_count = 0;
				u.rx_head = 0;
			}
			break;
		case 3:
			u.lcr = v;
			break;
		case 4:
			u.mcr = v & 0x1f;
			break;
		case 7:
			u.scr = v;
			break;
		}
	}
	update_irq(vm);
	return true;
}

/* Bytes from the console into the receive FIFO (holds vm.io_lock). */
void uart_rx(struct vm *vm, const uint8_t *buf, int n)
{
	int i;

	for (i = 0; i < n && u.rx_count < FIFO; i++) {
		u.rx[(u.rx_head + u.rx_count) % FIFO] = buf[i];
		u.rx_count++;
	}
	update_irq(vm);
}

void uart_console_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
}

static void *input_main(void *arg)
{
	struct vm *vm = arg;
	bool escape = false;
	uint8_t buf[64], out[64];

	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n;
		int i, k = 0;

		/* Wait while the FIFO is full: the guest reads it. */
		pthread_mutex_lock(&vm->io_lock);
		n = FIFO - u.rx_count;
		pthread_mutex_unlock(&vm->io_lock);
		if (n < (ssize_t)sizeof(buf)) {
			usleep(10000);
			continue;
		}
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;	/* EOF: the guest just gets no input */
		for (i = 0; i < n; i++) {
			if (escape) {
				escape = false;
				if (buf[i] == 'x') {
					pthread_mutex_lock(&vm->io_lock);
					vm_end(vm, END_SIGNAL);
					pthread_mutex_unlock(&vm->io_lock);
					return NULL;
				}
				if (buf[i] != 1)
					continue;
			} else if (buf[i] == 1 && tio_saved) {
				escape = true;
				continue;
			}
			out[k++] = buf[i];
		}
		pthread_mutex_lock(&vm->io_lock);
		uart_rx(vm, out, k);
		pthread_mutex_unlock(&vm->io_lock);
	}
}

int uart_console_start(struct vm *vm)
{
	sigset_t all, old;

	if (input_started)
		return 0;
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		struct termios raw = saved_tio;

		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR;
		tio_saved = true;
		atexit(uart_console_restore);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&input_thread, NULL, input_main, vm)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return run_error("cannot start the console thread");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(input_thread);
	input_started = true;
	return 0;
}
