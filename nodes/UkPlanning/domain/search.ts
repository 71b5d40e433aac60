/**
 * The Planning API's \`/search\` as plain types, one for each thing: the query string a search sends and an
 * application as it comes back. Shared by the Search operation, its credit guard, the trigger's planner
 * and the output helpers.
 */

/** Query-string parameters of a \`/search\` request (API names), without \`key\`. */
export type Query = Record<string, string>;

/** An application as `/search?return_data=1` returns it. */
export interface RawApplication {
	lpa_id?: string | number | null;
	lpa_name?: string | null;
	keyval?: string | null;
	externalLink?: string | null;
	title?: string | null;
	address?: string | null;
	postcode?: string | null;
	lat?: string | number | null;
	lng?: string | number | null;
	validated?: string | null;
	applicant_name?: string | null;
	applicant_address?: string | null;
	agent_name?: string | null;
	agent_address?: string | null;
	agent_phone?: string | null;
	agent_email?: string | null;
	docs?: string | number | null;
	[field: string]: unknown;
}
