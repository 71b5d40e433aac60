import {
	NodeOperationError,
	type IDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import { pounds, pricePerCredit } from '../../helpers/pricing';
import { readTimeoutMs } from '../../../shared/requestOptions';
import { topUpLocation } from '../../transport';

/** The smallest published bundle: 1,000 credits. */
const DEFAULT_TOP_UP_CREDITS = 1000;

const show: IDisplayOptions = { show: { resource: ['account'], operation: ['getTopUpLink'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Credits',
		name: 'credits',
		type: 'number',
		typeOptions: { minValue: 1 },
		displayOptions: show,
		default: DEFAULT_TOP_UP_CREDITS,
		description:
			'How many credits to buy. Published prices per credit: £0.10 from 1,000, £0.09 from 2,500, £0.08 from 5,000, £0.07 from 10,000, £0.06 from 25,000, £0.05 from 50,000.',
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const credits = Number(this.getNodeParameter('credits', itemIndex, DEFAULT_TOP_UP_CREDITS));
	if (!Number.isInteger(credits) || credits < 1) {
		throw new NodeOperationError(
			this.getNode(),
			`Invalid "Credits": ${credits} is not a positive whole number`,
			{
				itemIndex,
				description: 'No request was sent.',
			},
		);
	}
	// The payment page is not opened: the user pays there, in a browser.
	const answer = await topUpLocation.call(this, credits, {
		itemIndex,
		timeoutMs: readTimeoutMs(this, itemIndex),
	});
	if (!answer.location) {
		throw new NodeOperationError(
			this.getNode(),
			'The Planning API did not answer with a payment link',
			{
				itemIndex,
				description: `GET /topup answered HTTP ${answer.status} without a redirect.`,
			},
		);
	}
	const price = pricePerCredit(credits);
	return [
		{
			json: {
				credits,
				paymentUrl: answer.location,
				pricePerCredit: price,
				estimatedCost: pounds(credits * price),
				currency: 'GBP',
			},
			pairedItem: { item: itemIndex },
		},
	];
}
