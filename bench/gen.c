/* gen.c - synthetic English-like JSONL for make bench: words drawn from a
 * Zipf (s = 1) distribution over a vocabulary built from syllables, seeded.
 *   gen SIZE_MB SEED > out.jsonl      (SIZE_MB may be fractional: 0.5)
 *   gen SIZE_MB SEED txt > book.txt   plain text paragraphs (a "work") */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB 50000

static uint64_t rng;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	static const char *syl[] = {"the", "an", "ing", "er", "on", "re", "in", "ed", "ar",
				    "al", "or", "st", "en", "ti", "ly", "ous", "ment", "pro",
				    "con", "de", "ma", "so", "wa", "ri", "lo", "ne", "ka", "ve"};
	static char words[VOCAB][24];
	static double cdf[VOCAB];
	uint64_t target = (uint64_t)((argc > 1 ? strtod(argv[1], NULL) : 16.0) * 1048576.0),
		 done = 0, id = 0;
	int txt = argc > 3 && strcmp(argv[3], "txt") == 0;
	rng = argc > 2 ? strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ull + 1 : 42;
	const size_t ns = sizeof(syl) / sizeof(syl[0]);
	/* The commonest words are short and real. */
	static const char *common[] = {"the", "of", "and", "to", "a", "in", "is", "that", "it",
				       "was", "for", "on", "as", "with", "he", "be", "at", "by"};
	double sum = 0;
	for (int i = 0; i < VOCAB; i++) {
		if (i < 18) {
			strcpy(words[i], common[i]);
		} else {
			int n = 1 + (int)(next() % 4);
			words[i][0] = '\0';
			for (int k = 0; k < n; k++)
				strcat(words[i], syl[next() % ns]);
		}
		sum += 1.0 / (i + 1);
		cdf[i] = sum;
	}
	for (int i = 0; i < VOCAB; i++)
		cdf[i] /= sum;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 65536);
	while (done + len < target) {
		int nwords = 100 + (int)(next() % 1500), cap_next = 1;
		if (txt)
			id++;
		else
			len += (size_t)sprintf(buf + len, "{\"id\": %llu, \"text\": \"",
					       (unsigned long long)id++);
		for (int w = 0; w < nwords; w++) {
			double u = (double)(next() >> 11) / 9007199254740992.0;
			int lo = 0, hi = VOCAB - 1;
			while (lo < hi) {
				int mid = (lo + hi) / 2;
				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t wl = strlen(words[lo]);
			memcpy(buf + len, words[lo], wl);
			if (cap_next)
				buf[len] = (char)(buf[len] - 32);
			len += wl;
			cap_next = next() % 14 == 0;
			if (cap_next)
				buf[len++] = '.';
			else if (next() % 17 == 0)
				buf[len++] = ',';
			buf[len++] = ' ';
			if (len > cap) {
				fwrite(buf, 1, len, stdout);
				done += len;
				len = 0;
			}
		}
		len += (size_t)sprintf(buf + len, txt ? "end.\n\n" : "end.\", \"source\": \"synthetic\"}\n");
		if (len > cap) {
			fwrite(buf, 1, len, stdout);
			done += len;
			len = 0;
		}
	}
	fwrite(buf, 1, len, stdout);
	free(buf);
	return 0;
}
