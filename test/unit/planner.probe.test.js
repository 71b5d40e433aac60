/**
 * The address probe's choice of texts (planner/probe.ts), and what it saves: a new application without a
 * postcode on an ordinary street costs about one credit, not a whole authority-day.
 */
const {
	addressTerms,
	phraseCandidates,
	wordCandidates,
} = require('../../nodes/UkPlanningTrigger/planner/probe');
const { planPoll } = require('../../nodes/UkPlanningTrigger/planner/poll');
const { shiftDay } = require('../../nodes/UkPlanning/domain/days');
const { searchModel } = require('../harness/searchModel');

const entry = (address, lpa = '1') => ({ lpa, postcode: '', address: address.toLowerCase() });

describe('addressTerms', () => {
	test('words of three letters or more, and two-word phrases within a run of words', () => {
		expect(addressTerms('12 Mill Lane, Ashford TN23 1AA')).toEqual({
			words: ['mill', 'lane', 'ashford'],
			phrases: ['mill lane', 'ashford tn'],
		});
		expect(addressTerms('Land at rear of 4 Oak Close')).toEqual({
			words: ['land', 'rear', 'oak', 'close'],
			phrases: ['land at', 'at rear', 'rear of', 'oak close'],
		});
	});
});

describe('wordCandidates', () => {
	const slice = [
		entry('3 Station Road, Ashford'),
		entry('8 Station Road, Ashford'),
		entry('1 Church Street, Ashford'),
		entry('5 Park Avenue, Ashford'),
	];
	const neighbourhood = [
		...slice,
		...Array.from({ length: 6 }, (_, i) => entry(`${i} Mill Lane, Ashford`)),
		entry('2 Mill Lane, Ashford'),
		entry('7 Elm Close, Ashford'),
		entry('11 Elm Close, Ashford'),
		entry('9 Church Street, Ashford'),
	];

	test('the town in every address of the slice narrows nothing and is left out', () => {
		const words = wordCandidates(slice, neighbourhood).map((c) => c.text);
		expect(words).not.toContain('ashford');
	});

	test("the authority's frequent streets come first, before rare ones and stock wording", () => {
		const candidates = wordCandidates(slice, neighbourhood);
		const rank = (text) => candidates.findIndex((c) => c.text === text);
		// Mill Lane is the authority's most frequent street: both its words come first.
		expect([rank('mill'), rank('lane')].sort()).toEqual([0, 1]);
		expect(rank('lane')).toBeLessThan(rank('elm'));
		expect(rank('elm')).toBeLessThan(rank('allotment'));
		// Seen in the slice once: paid again if chosen, so it ranks below an unseen word as frequent.
		expect(candidates.find((c) => c.text === 'church')).toMatchObject({ known: 1, weight: 2 });
		expect(rank('church')).toBeGreaterThan(rank('close'));
	});

	test('a word in half of the slice or more is left out; in fewer it stays, with what it would cost', () => {
		const candidates = wordCandidates(slice, neighbourhood);
		expect(candidates.map((c) => c.text)).not.toContain('station');
		expect(candidates.find((c) => c.text === 'park')).toMatchObject({ known: 1 });
	});
});

describe('phraseCandidates', () => {
	test('phrases of the word that matched, narrower than it, best first', () => {
		const slice = [entry('1 Mill Road, Ashford'), entry('3 Mill Road, Ashford')];
		const neighbourhood = [
			...slice,
			entry('2 Mill Lane, Ashford'),
			entry('4 Mill Lane, Ashford'),
			entry('6 Mill Close, Ashford'),
		];
		const word = { text: 'mill', known: 2, weight: 5 };
		const phrases = phraseCandidates(word, slice, neighbourhood);
		expect(phrases.map((c) => c.text)).toEqual(['mill lane', 'mill close']);
		expect(phrases.every((c) => c.known === 0)).toBe(true);
	});
});

describe('the probe in a poll', () => {
	const config = {
		base: { lpa_id: '1,2' },
		lookbackDays: 30,
		backfillDays: 0,
		maxCredits: 1000,
		backlogOrder: 'newestFirst',
		fingerprint: 'probe',
		reserveMs: 0,
	};
	const streets = ['Mill Lane', 'Station Road', 'Church Street', 'Park Avenue', 'Elm Close'];

	function busyAuthority(api) {
		for (let d = 0; d < 20; d++) {
			const day = shiftDay(api.today, -d);
			for (let i = 0; i < 20; i++) {
				const street = streets[(i + d) % streets.length];
				api.add([
					{
						lpa_id: '1',
						validated: day,
						postcode: `TN${1 + (i % 9)} ${i % 10}AB`,
						address: `${i + 1} ${street}, Ashford TN${1 + (i % 9)} ${i % 10}AB`,
					},
					{
						lpa_id: '2',
						validated: day,
						postcode: `CT${1 + (i % 9)} ${i % 10}CD`,
						address: `${i + 1} Harbour Street, Dover CT${1 + (i % 9)} ${i % 10}CD`,
					},
				]);
			}
		}
	}

	test('a new application without a postcode on a street of its authority costs about one credit, not the authority-day', async () => {
		const api = searchModel({ lpaIds: ['1', '2'] });
		busyAuthority(api);
		const state = (await planPoll(undefined, config, api)).state;
		const day = shiftDay(api.today, -4);
		api.add([{ lpa_id: '1', validated: day, postcode: null, address: '12 Elm Close, Ashford' }]);
		const before = api.credits;
		const next = await planPoll(state, config, api);
		expect(next.emitted.map((a) => a.address)).toEqual(['12 Elm Close, Ashford']);
		// The authority-day holds 21; "elm" or "close" holds the new one and the 4 seen ones on Elm Close.
		const paid = api.credits - before;
		expect(paid).toBeLessThanOrEqual(5);
		const paidQueries = api.log.filter((l) => l.kind === 'fetch').map((l) => l.q);
		expect(['elm', 'close', 'elm close']).toContain(paidQueries[paidQueries.length - 1].address);
		expect((await planPoll(next.state, config, api)).emitted).toEqual([]);
	});
});
