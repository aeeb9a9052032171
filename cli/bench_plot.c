/* cli/bench_plot.c - `sluice bench --plot FILE.png`: a picture of a run,
 * drawn and encoded here (no Python, no plotting library at run time):
 *
 *   top:    latency over time, per second: end-to-end p50, p99 and max,
 *           publish p99 (ms against seconds since the first send);
 *   bottom: the latency percentile distribution of the measured records:
 *           end to end, publish and publish delay, against the percentile
 *           on HdrHistogram's "nines" scale (0%, 90%, 99%, 99.9%, ...).
 *
 * The canvas is RGB, 8 bits a channel; text is a 5x7 pixel font drawn at
 * twice its size. The PNG is one IHDR, one IDAT (zlib, filter 0 on every
 * row) and IEND, each with its CRC-32. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cli/bench_internal.h"

#define W 960
#define H 720
#define FONT_W 5
#define FONT_H 7
#define SCALE 2

typedef struct rgb {
	uint8_t r, g, b;
} rgb;

static const rgb BLACK = { 0, 0, 0 },
		 GRID = { 225, 225, 225 }, BLUE = { 31, 119, 180 },
		 RED = { 214, 39, 40 }, GRAY = { 127, 127, 127 },
		 GREEN = { 44, 160, 44 }, ORANGE = { 255, 127, 14 };

typedef struct canvas {
	uint8_t *px; /* W * H * 3 */
} canvas;

static void dot(canvas *c, int x, int y, rgb k)
{
	if (x < 0 || y < 0 || x >= W || y >= H)
		return;
	uint8_t *p = c->px + ((size_t)y * W + (size_t)x) * 3;
	p[0] = k.r;
	p[1] = k.g;
	p[2] = k.b;
}

static void rect(canvas *c, int x0, int y0, int x1, int y1, rgb k)
{
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++)
			dot(c, x, y, k);
}

/* A line two pixels wide (Bresenham, a 2x2 pen). */
static void line(canvas *c, int x0, int y0, int x1, int y1, rgb k)
{
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
	int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
	int e = dx + dy;

	for (;;) {
		rect(c, x0, y0, x0 + 1, y0 + 1, k);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * e;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

/* ---- text --------------------------------------------------------------- */

/* The glyphs drawn: rows top to bottom, bit 4 the leftmost pixel. Capital
 * letters are drawn as small ones. */
static const char glyph_chars[] =
	"0123456789.-%()/:,abcdefghijklmnopqrstuvwxyz";
static const uint8_t glyphs[][FONT_H] = {
	{ 0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E }, /* 0 */
	{ 0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E }, /* 1 */
	{ 0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F }, /* 2 */
	{ 0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E }, /* 3 */
	{ 0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02 }, /* 4 */
	{ 0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E }, /* 5 */
	{ 0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E }, /* 6 */
	{ 0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 }, /* 7 */
	{ 0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E }, /* 8 */
	{ 0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C }, /* 9 */
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C }, /* . */
	{ 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00 }, /* - */
	{ 0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03 }, /* % */
	{ 0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02 }, /* ( */
	{ 0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08 }, /* ) */
	{ 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00 }, /* / */
	{ 0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00 }, /* : */
	{ 0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08 }, /* , */
	{ 0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F }, /* a */
	{ 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E }, /* b */
	{ 0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E }, /* c */
	{ 0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F }, /* d */
	{ 0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E }, /* e */
	{ 0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08 }, /* f */
	{ 0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E }, /* g */
	{ 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11 }, /* h */
	{ 0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E }, /* i */
	{ 0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C }, /* j */
	{ 0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12 }, /* k */
	{ 0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E }, /* l */
	{ 0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11 }, /* m */
	{ 0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11 }, /* n */
	{ 0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E }, /* o */
	{ 0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10 }, /* p */
	{ 0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01 }, /* q */
	{ 0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10 }, /* r */
	{ 0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E }, /* s */
	{ 0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06 }, /* t */
	{ 0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D }, /* u */
	{ 0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04 }, /* v */
	{ 0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A }, /* w */
	{ 0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11 }, /* x */
	{ 0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E }, /* y */
	{ 0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F }, /* z */
};

/* Width of s in pixels. */
static int text_w(const char *s)
{
	return (int)strlen(s) * (FONT_W + 1) * SCALE;
}

static void text(canvas *c, int x, int y, const char *s, rgb k)
{
	for (; *s; s++, x += (FONT_W + 1) * SCALE) {
		char ch = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		const char *at = ch == ' ' ? NULL : strchr(glyph_chars, ch);
		if (!at || !ch)
			continue;
		const uint8_t *g = glyphs[at - glyph_chars];
		for (int r = 0; r < FONT_H; r++)
			for (int b = 0; b < FONT_W; b++)
				if (g[r] & (0x10 >> b))
					rect(c, x + b * SCALE, y + r * SCALE,
					     x + b * SCALE + SCALE - 1,
					     y + r * SCALE + SCALE - 1, k);
	}
}

/* ---- panels ------------------------------------------------------------- */

typedef struct panel {
	int x0, y0, x1, y1; /* the plot area, pixels */
	double xmax, ymax;  /* data ranges start at 0 */
} panel;

/* A step of 1, 2 or 5 times a power of ten giving about n ticks up to v. */
static double nice_step(double v, int n)
{
	double raw = v / n, p = pow(10, floor(log10(raw)));
	double m = raw / p;

	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static int px_x(const panel *p, double x)
{
	return p->x0 + (int)lround(x / p->xmax * (p->x1 - p->x0));
}

static int px_y(const panel *p, double y)
{
	if (y > p->ymax)
		y = p->ymax;
	return p->y1 - (int)lround(y / p->ymax * (p->y1 - p->y0));
}

/* Frame, grid and the y axis's labels; the title above. */
static void panel_frame(canvas *c, panel *p, const char *title)
{
	char lab[32];
	double step = nice_step(p->ymax, 5);

	p->ymax = ceil(p->ymax / step) * step;
	for (double y = 0; y <= p->ymax + step / 2; y += step) {
		int py = px_y(p, y);
		line(c, p->x0, py, p->x1, py, GRID);
		snprintf(lab, sizeof(lab), "%g", y);
		text(c, p->x0 - 8 - text_w(lab), py - FONT_H, lab, BLACK);
	}
	line(c, p->x0, p->y0, p->x0, p->y1, BLACK);
	line(c, p->x0, p->y1, p->x1, p->y1, BLACK);
	text(c, p->x0, p->y0 - 26, title, BLACK);
}

/* Entry i of a panel's legend, in its top right corner (left: top left). */
static void legend(canvas *c, const panel *p, bool left, int i,
		   const char *name, rgb k)
{
	int x = left ? p->x0 + 20 : p->x1 - 230, y = p->y0 + 8 + i * 22;

	rect(c, x, y + 4, x + 24, y + 8, k);
	text(c, x + 32, y, name, k);
}

static void curve(canvas *c, const panel *p, const sl_histogram *h, rgb k)
{
	int lx = -1, ly = -1;

	if (!h->count)
		return;
	for (int i = 0; i <= 500; i++) {
		double x = p->xmax * i / 500;
		double pct = 100 * (1 - pow(10, -x));
		if (pct <= 0)
			pct = 0.0001;
		/* beyond the last record's rank the curve is the max */
		double ms = (double)sl_histogram_percentile(h, pct) / 1e6;
		int px = px_x(p, x), py = px_y(p, ms);
		if (lx >= 0)
			line(c, lx, ly, px, py, k);
		lx = px;
		ly = py;
	}
}

/* ---- PNG ---------------------------------------------------------------- */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int chunk(FILE *f, const char *type, const uint8_t *data, uint32_t n)
{
	uint8_t hdr[8];
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)type, 4);

	be32(hdr, n);
	memcpy(hdr + 4, type, 4);
	if (n)
		crc = (uint32_t)crc32(crc, data, n);
	uint8_t tail[4];
	be32(tail, crc);
	return fwrite(hdr, 1, 8, f) == 8 && (!n || fwrite(data, 1, n, f) == n) &&
			       fwrite(tail, 1, 4, f) == 4
		       ? 0
		       : -1;
}

static int png_write(const char *path, const canvas *c)
{
	size_t rowlen = (size_t)W * 3 + 1, rawlen = rowlen * H;
	uint8_t *raw = malloc(rawlen);
	uLongf zlen = compressBound((uLong)rawlen);
	uint8_t *z = malloc(zlen);
	FILE *f = NULL;
	int rc = -1;

	if (!raw || !z)
		goto out;
	for (int y = 0; y < H; y++) {
		raw[(size_t)y * rowlen] = 0; /* filter: none */
		memcpy(raw + (size_t)y * rowlen + 1,
		       c->px + (size_t)y * W * 3, (size_t)W * 3);
	}
	if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK)
		goto out;
	if (!(f = fopen(path, "wb")))
		goto out;
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
					'\n' };
	uint8_t ihdr[13];
	be32(ihdr, W);
	be32(ihdr + 4, H);
	ihdr[8] = 8;   /* bits per channel */
	ihdr[9] = 2;   /* RGB */
	ihdr[10] = 0;  /* deflate */
	ihdr[11] = 0;  /* adaptive filtering */
	ihdr[12] = 0;  /* no interlace */
	rc = fwrite(sig, 1, 8, f) == 8 && !chunk(f, "IHDR", ihdr, 13) &&
			     !chunk(f, "IDAT", z, (uint32_t)zlen) &&
			     !chunk(f, "IEND", NULL, 0)
		     ? 0
		     : -1;
out:
	if (f && fclose(f))
		rc = -1;
	free(raw);
	free(z);
	return rc;
}

/* ---- the picture -------------------------------------------------------- */

int sl_bench_plot(struct bench *b, const struct tally *t, const char *path)
{
	canvas c = { .px = malloc((size_t)W * H * 3) };
	char lab[96];

	if (!c.px)
		return -1;
	memset(c.px, 255, (size_t)W * H * 3);

	/* top: per second */
	panel top = { .x0 = 110, .y0 = 60, .x1 = W - 30, .y1 = 320 };
	double tmax = 1, ymax = 0.001;
	for (uint32_t i = 0; i < t->nsecs; i++) {
		const struct second *s = &t->secs[i];
		if (s->t > tmax)
			tmax = s->t;
		double m = (double)(s->max > s->pub_p99 ? s->max : s->pub_p99);
		if (m / 1e6 > ymax)
			ymax = m / 1e6;
	}
	top.xmax = tmax;
	top.ymax = ymax;
	snprintf(lab, sizeof(lab), "latency per second (ms), %.0f records/s",
		 b->opts->rate);
	panel_frame(&c, &top, lab);
	double xs = nice_step(tmax, 8);
	for (double x = 0; x <= tmax + 1e-9; x += xs) {
		snprintf(lab, sizeof(lab), "%g", x);
		text(&c, px_x(&top, x) - text_w(lab) / 2, top.y1 + 8, lab,
		     BLACK);
	}
	text(&c, top.x1 - text_w("seconds"), top.y1 + 30, "seconds", BLACK);
	struct {
		const char *name;
		rgb k;
		size_t off;
	} series[] = {
		{ "end to end p50", BLUE, offsetof(struct second, p50) },
		{ "end to end p99", RED, offsetof(struct second, p99) },
		{ "end to end max", GRAY, offsetof(struct second, max) },
		{ "publish p99", GREEN, offsetof(struct second, pub_p99) },
	};
	for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
		int lx = -1, ly = -1;
		for (uint32_t i = 0; i < t->nsecs; i++) {
			const struct second *s = &t->secs[i];
			if (!s->n && series[k].off != offsetof(struct second,
							       pub_p99))
				continue;
			int64_t v;
			memcpy(&v, (const char *)s + series[k].off, sizeof(v));
			int px = px_x(&top, s->t), py = px_y(&top, (double)v / 1e6);
			if (lx >= 0)
				line(&c, lx, ly, px, py, series[k].k);
			else
				rect(&c, px - 1, py - 1, px + 2, py + 2,
				     series[k].k);
			lx = px;
			ly = py;
		}
		legend(&c, &top, false, (int)k, series[k].name, series[k].k);
	}

	/* bottom: the percentile distribution */
	panel bot = { .x0 = 110, .y0 = 420, .x1 = W - 30, .y1 = H - 70 };
	uint64_t n = t->all.count;
	double nmax = 2;
	while (nmax < 6 && pow(10, nmax) < (double)n)
		nmax++;
	bot.xmax = nmax;
	pthread_mutex_lock(&b->hlock);
	double m = (double)t->all.max;
	if ((double)b->pub_all.max > m)
		m = (double)b->pub_all.max;
	if ((double)b->delay_all.max > m)
		m = (double)b->delay_all.max;
	bot.ymax = m / 1e6 > 0.001 ? m / 1e6 : 0.001;
	panel_frame(&c, &bot, "latency by percentile (ms), measured records");
	for (int k = 0; k <= (int)nmax; k++) {
		double pct = 100 * (1 - pow(10, -k));
		snprintf(lab, sizeof(lab), "%.*f%%", k > 2 ? k - 2 : 0, pct);
		int lx = px_x(&bot, k) - text_w(lab) / 2;
		if (lx + text_w(lab) > W - 4)
			lx = W - 4 - text_w(lab);
		text(&c, lx, bot.y1 + 8, lab, BLACK);
	}
	text(&c, bot.x1 - text_w("percentile"), bot.y1 + 30, "percentile",
	     BLACK);
	curve(&c, &bot, &t->all, RED);
	curve(&c, &bot, &b->pub_all, GREEN);
	curve(&c, &bot, &b->delay_all, ORANGE);
	pthread_mutex_unlock(&b->hlock);
	legend(&c, &bot, true, 0, "end to end", RED);
	legend(&c, &bot, true, 1, "publish", GREEN);
	legend(&c, &bot, true, 2, "publish delay", ORANGE);

	int rc = png_write(path, &c);
	free(c.px);
	return rc;
}
