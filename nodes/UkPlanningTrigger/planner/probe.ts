/**
 * The address probe: which texts to try with the API's `address` filter (free counts) to isolate a new
 * application that no postcode reaches, so that only a few applications are paid for instead of a whole
 * authority-day. Pure.
 *
 * Streets recur: a new application without a postcode is most likely on a street of its authority that
 * other applications in the window were on. A text is worth a count when it is likely to be in the new
 * address and matches few of the slice's seen applications (those are paid for again if it is chosen);
 * a text in most of the slice's addresses (the town's name) narrows nothing.
 */
import type { SeenEntry } from './types';

/** Wording of addresses without a postcode, tried when the authority's own addresses give too little. */
const STOCK_TEXTS = ['land', 'site', 'plot', 'rear', 'adjacent', 'former', 'garage', 'allotment'];
const MIN_WORD_LENGTH = 3;

export interface ProbeCandidate {
	text: string;
	/** Seen applications of the slice whose address contains the text: paid again if it is chosen. */
	known: number;
	/** Addresses of the same authorities in the window containing the text: how likely it is. */
	weight: number;
}

/** The words of an address and its two-word phrases ("mill lane"), as `address` can match them. */
export function addressTerms(address: string): { words: string[]; phrases: string[] } {
	const words: string[] = [];
	const phrases: string[] = [];
	// Digits and punctuation end a run of words: "12 mill lane, ashford" -> "mill lane", "ashford".
	for (const run of address.toLowerCase().split(/[^a-z ]+/)) {
		const runWords = run.split(' ').filter(Boolean);
		runWords.forEach((word, index) => {
			if (word.length >= MIN_WORD_LENGTH) words.push(word);
			const next = runWords[index + 1];
			if (next) phrases.push(`${word} ${next}`);
		});
	}
	return { words: [...new Set(words)], phrases: [...new Set(phrases)] };
}

function tally(entries: SeenEntry[], termsOf: (address: string) => string[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const entry of entries) {
		for (const term of termsOf(entry.address)) counts.set(term, (counts.get(term) ?? 0) + 1);
	}
	return counts;
}

function ranked(
	weights: Map<string, number>,
	sliceSeen: SeenEntry[],
	keep: (candidate: ProbeCandidate) => boolean,
): ProbeCandidate[] {
	return [...weights.entries()]
		.map(([text, weight]) => ({
			text,
			weight,
			known: sliceSeen.filter((entry) => entry.address.includes(text)).length,
		}))
		.filter(keep)
		.sort(
			(a, b) =>
				b.weight / (b.known + 1) - a.weight / (a.known + 1) ||
				a.known - b.known ||
				(a.text < b.text ? -1 : 1),
		);
}

/**
 * Single words to try first, best first: likely (frequent in the authorities' addresses) over cheap
 * (rare among the slice's seen ones); words in more than half of the slice's addresses are left out.
 */
export function wordCandidates(
	sliceSeen: SeenEntry[],
	neighbourhood: SeenEntry[],
): ProbeCandidate[] {
	const weights = tally(neighbourhood, (address) => addressTerms(address).words);
	// Stock wording counts as seen once, so that it is tried when the neighbourhood says little.
	for (const text of STOCK_TEXTS) weights.set(text, (weights.get(text) ?? 0) + 1);
	const half = Math.max(1, sliceSeen.length / 2);
	return ranked(weights, sliceSeen, (candidate) => candidate.known < half);
}

/**
 * Two-word phrases containing a word that matched, best first: "mill lane" after "lane", narrower and
 * so cheaper to pay for; only those matching fewer of the slice's seen applications than the word.
 */
export function phraseCandidates(
	word: ProbeCandidate,
	sliceSeen: SeenEntry[],
	neighbourhood: SeenEntry[],
): ProbeCandidate[] {
	const weights = tally(neighbourhood, (address) =>
		addressTerms(address).phrases.filter((phrase) => phrase.split(' ').includes(word.text)),
	);
	return ranked(weights, sliceSeen, (candidate) => candidate.known < word.known);
}
