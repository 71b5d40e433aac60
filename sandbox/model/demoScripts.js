/**
 * What the sandbox model plays in the demo (`npm start`, `npm run sandbox`): the example workflow "Ask about
 * planning applications" gives its agent two tools, named after their nodes. The sandbox model understands
 * nothing; these scripts pick the tool call out of a few kinds of question, and answer from what the tools
 * returned. Any other question gets a reply listing what to try.
 */
'use strict';

/** The tool names n8n gives the example's nodes ("Search planning applications" → Search_planning_applications). */
const DEMO_TOOLS = {
	search: 'Search_planning_applications',
	datasets: 'Find_London_datasets',
};

/** A postcode district (GU16) or a full postcode (GU16 7HF), as the question gives it. */
const POSTCODE = '\\b([A-Z]{1,2}\\d[A-Z\\d]?(?: ?\\d[A-Z]{2})?)\\b';
const searchArguments = (overrides) => ({
	postcode: '',
	keyword: '',
	validatedFrom: '',
	validatedTo: '',
	...overrides,
});

const DEMO_SCRIPTS = [
	{
		name: 'applications for <words> near <postcode>',
		match: `applications? (?:for|about|with) (.+?) (?:near|in|around|at) ${POSTCODE}`,
		steps: [
			{
				toolCalls: [
					{
						tool: DEMO_TOOLS.search,
						arguments: searchArguments({ keyword: '$1', postcode: '$2' }),
					},
				],
			},
			{ answer: 'Here is what the Planning API search returned:\n{{results}}' },
		],
	},
	{
		name: 'applications near <postcode>',
		match: `applications?.*?${POSTCODE}`,
		steps: [
			{ toolCalls: [{ tool: DEMO_TOOLS.search, arguments: searchArguments({ postcode: '$1' }) }] },
			{ answer: 'Here is what the Planning API search returned:\n{{results}}' },
		],
	},
	{
		name: 'every application (the model asks for everything)',
		match: 'every (?:planning )?application|all (?:planning )?applications',
		steps: [
			{ toolCalls: [{ tool: DEMO_TOOLS.search, arguments: searchArguments({}) }] },
			{ answer: 'The search tool said:\n{{results}}' },
		],
	},
	{
		name: 'a dataset about <words>',
		match: 'datasets? (?:about|on|for|of) (.+?)[?.!]*$',
		steps: [
			{ toolCalls: [{ tool: DEMO_TOOLS.datasets, arguments: { search: '$1' } }] },
			{ answer: 'On the London Datastore:\n{{results}}' },
		],
	},
	{
		name: 'anything else',
		match: '.',
		steps: [
			{
				answer:
					'I am the sandbox model: I play scripts and understand nothing else. Try "Which planning applications for extension near GU16?", "Show me every planning application" or "Is there a dataset about planning?".',
			},
		],
	},
];

module.exports = { DEMO_SCRIPTS, DEMO_TOOLS };
