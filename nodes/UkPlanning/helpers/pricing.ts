/** The Planning API's published credit prices (GBP), from its /topup documentation. */
export const PRICE_TIERS: ReadonlyArray<{ credits: number; pricePerCredit: number }> = [
	{ credits: 1000, pricePerCredit: 0.1 },
	{ credits: 2500, pricePerCredit: 0.09 },
	{ credits: 5000, pricePerCredit: 0.08 },
	{ credits: 10000, pricePerCredit: 0.07 },
	{ credits: 25000, pricePerCredit: 0.06 },
	{ credits: 50000, pricePerCredit: 0.05 },
];

const HIGHEST_PRICE = PRICE_TIERS[0].pricePerCredit;
const LOWEST_PRICE = PRICE_TIERS[PRICE_TIERS.length - 1].pricePerCredit;

/** Price per credit when buying `credits` at once: the largest tier reached (below 1,000: the 1,000 price). */
export function pricePerCredit(credits: number): number {
	let price = HIGHEST_PRICE;
	for (const tier of PRICE_TIERS) if (credits >= tier.credits) price = tier.pricePerCredit;
	return price;
}

/** Pounds, rounded to pence. */
export function pounds(amount: number): number {
	return Math.round(amount * 100) / 100;
}

function formatPounds(amount: number): string {
	return `£${pounds(amount).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** What `credits` credits cost, as a range over the price tiers, e.g. "£5.00–£10.00". */
export function costRangeText(credits: number): string {
	return `${formatPounds(credits * LOWEST_PRICE)}–${formatPounds(credits * HIGHEST_PRICE)}`;
}
