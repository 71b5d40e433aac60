/**
 * The pure parts of running as an AI agent's tool: finding the `$fromAI()` key that fills a parameter, the
 * bounded list, and the summary lines a search and a count give the model (with narrowing advice made of
 * the model's own arguments only).
 */
'use strict';

const {
	bounded,
	fromAiKeyOf,
	isFilledByModel,
	plural,
	toolArgumentNote,
} = require('../../nodes/shared/toolMode.ts');
const {
	countToolSummary,
	narrowingAdvice,
	searchToolSummary,
} = require('../../nodes/UkPlanning/helpers/toolAnswer.ts');

describe('fromAiKeyOf', () => {
	const parameters = {
		maxCredits: 20,
		filters: {
			postcodeStart: "={{ $fromAI('postcode', `A postcode`, 'string') }}",
			keyword: '={{ $fromAi("keyword") }}',
			address: '={{ $json.address }}',
		},
		datasetId: { __rl: true, mode: 'id', value: "={{ $fromAI('datasetId') }}" },
	};

	test('finds the key at a dotted path, in either spelling and quote, inside a resource locator', () => {
		expect(fromAiKeyOf(parameters, 'filters.postcodeStart')).toBe('postcode');
		expect(fromAiKeyOf(parameters, 'filters.keyword')).toBe('keyword');
		expect(fromAiKeyOf(parameters, 'datasetId')).toBe('datasetId');
	});

	test('no key for fixed values, other expressions and missing paths', () => {
		expect(fromAiKeyOf(parameters, 'maxCredits')).toBeUndefined();
		expect(fromAiKeyOf(parameters, 'filters.address')).toBeUndefined();
		expect(fromAiKeyOf(parameters, 'filters.dateFrom')).toBeUndefined();
		expect(fromAiKeyOf(parameters, 'nothing.here')).toBeUndefined();
	});

	test('the note and the model check read the node', () => {
		const node = { parameters };
		expect(toolArgumentNote(node, 'filters.postcodeStart')).toBe(' (tool argument "postcode")');
		expect(toolArgumentNote(node, 'maxCredits')).toBe('');
		expect(isFilledByModel(node, 'datasetId')).toBe(true);
		expect(isFilledByModel(node, 'maxCredits')).toBe(false);
	});
});

test('bounded and plural', () => {
	expect(bounded([1, 2, 3], 2)).toEqual({ shown: [1, 2], leftOut: 1 });
	expect(bounded([1], 2)).toEqual({ shown: [1], leftOut: 0 });
	expect(plural(1, 'authority', 'authorities')).toBe('1 authority');
	expect(plural(2, 'file')).toBe('2 files');
});

describe('narrowingAdvice', () => {
	const fillable = {
		dateFrom: 'validatedFrom',
		dateTo: 'validatedTo',
		postcode: 'postcode',
		keyword: 'keyword',
	};

	test('only the arguments the model has, and only the filters not yet used', () => {
		expect(narrowingAdvice({ keyword: 'loft' }, fillable, '2026-11-09')).toBe(
			'To narrow: for older ones set "validatedTo" to 2026-11-09 or earlier (yyyy-mm-dd); set "validatedFrom" to a recent day (yyyy-mm-dd); give a postcode in "postcode" (e.g. "SE1 7PB").',
		);
		expect(narrowingAdvice({}, { keyword: 'words' })).toBe(
			'To narrow: add a word of the description to "words" (e.g. "loft").',
		);
	});

	test('says so when the model cannot narrow', () => {
		expect(narrowingAdvice({ keyword: 'loft' }, { keyword: 'keyword' })).toBe(
			'This tool cannot narrow the search further; ask the user to narrow it or to raise Max Credits.',
		);
	});
});

describe('searchToolSummary', () => {
	const base = { creditsRemaining: 90, maxCredits: 10, limit: 10 };

	test('everything returned', () => {
		expect(searchToolSummary({ ...base, count: 3, fetched: 3, creditsSpent: 3 }, {}, {})).toBe(
			'3 applications match; all 3 returned below (3 credits spent, 90 credits left).',
		);
	});

	test('none matched: nothing charged, how to widen', () => {
		expect(searchToolSummary({ ...base, count: 0, fetched: 0, creditsSpent: 0 }, {}, {})).toMatch(
			/^No applications match this search; nothing was charged\. Widen it/,
		);
	});

	test('cut by Max Credits, by the credits left, by the tool limit: each says which, and what was left', () => {
		const cut = { ...base, count: 40, fetched: 10, creditsSpent: 10, fullFrom: '2026-11-18' };
		expect(searchToolSummary({ ...cut, limitedBy: 'maxCredits' }, {}, { dateTo: 'to' })).toBe(
			'40 applications match, more than Max Credits (10) allows: returned the newest 10, every one validated from 2026-11-18 (10 credits spent, 90 credits left); 30 older ones were not fetched or charged. To narrow: for older ones set "to" to 2026-11-17 or earlier (yyyy-mm-dd).',
		);
		expect(searchToolSummary({ ...cut, limitedBy: 'creditsLeft', limit: 10 }, {}, {})).toContain(
			'more than the 10 credits left on the key',
		);
		expect(
			searchToolSummary(
				{ ...cut, limitedBy: 'toolLimit', limit: 25, maxCredits: 100, partialDay: '2026-11-17' },
				{},
				{},
			),
		).toContain(
			'more than this tool returns at once (25): returned the newest 10, every one validated from 2026-11-18 and some of 2026-11-17',
		);
		expect(
			searchToolSummary(
				{ ...base, count: 90, fetched: 10, creditsSpent: 10, partialDay: '2026-12-04' },
				{},
				{ dateTo: 'to' },
			),
		).toContain(
			'returned the newest 10, from part of 2026-12-04 (10 credits spent, 90 credits left); 80 older ones were not fetched or charged. To narrow: for older ones set "to" to 2026-12-04 or earlier',
		);
	});
});

test('countToolSummary: free, the balance, and how to narrow when more than one answer holds', () => {
	expect(countToolSummary(3, 50, {}, {}, 25)).toBe(
		'3 applications match (counting is free; fetching costs one credit each). The key has 50 credits left.',
	);
	expect(countToolSummary(1, null, {}, {}, 25)).toBe(
		'1 application matches (counting is free; fetching costs one credit each).',
	);
	expect(countToolSummary(30, null, { keyword: 'k' }, {}, 25)).toBe(
		'30 applications match (counting is free; fetching costs one credit each). A search returns at most the newest 25 at once. To narrow: add a word of the description to "k" (e.g. "loft").',
	);
});
