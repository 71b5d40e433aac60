/**
 * A realistic feed of planning applications for the Planning sandbox: councils that publish in batches
 * and trickles, mostly days late, in office hours, with bursts and quiet nights, several applications per
 * address and some without a postcode (most of those at an ordinary street address, some land or sites).
 * Addresses name one of the authority's own streets and towns ("12 Mill Lane, Ashford"). Deterministic for a seed. Used by the trigger's benchmark and by
 * the planner's feed test.
 */
'use strict';

function mulberry32(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const DAY_MS = 86400000;
/** The poll budget the bench gives the trigger in both passes, as the node defaults to without one. */
const AREAS = [
	'E',
	'N',
	'SE',
	'SW',
	'W',
	'NW',
	'EC',
	'WC',
	'BR',
	'CR',
	'DA',
	'EN',
	'HA',
	'IG',
	'KT',
	'RM',
	'SM',
	'TW',
	'UB',
];
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
const STREET_NAMES = [
	'High',
	'Church',
	'Station',
	'Park',
	'Mill',
	'Victoria',
	'Green',
	'Manor',
	'Kings',
	'Queens',
	'Albert',
	'Grove',
	'Windsor',
	'Springfield',
	'Orchard',
	'Chestnut',
	'Elm',
	'Beech',
	'Cedar',
	'Meadow',
	'Brook',
	'Hill',
	'Cross',
	'Market',
	'Bridge',
	'North',
	'South',
	'West',
	'Alexandra',
	'Clarence',
	'Stanley',
	'Warwick',
	'Lancaster',
	'York',
	'Grange',
	'Vicarage',
	'Rectory',
	'Nelson',
	'Wellington',
	'Marlborough',
];
const STREET_KINDS = ['Road', 'Street', 'Lane', 'Avenue', 'Close', 'Gardens', 'Way', 'Crescent'];
/** Town names for addresses; each authority gets a few of its own. */
const TOWN_NAMES = [
	'Ashford',
	'Barnet',
	'Bexley',
	'Bramley',
	'Chalfont',
	'Cheam',
	'Denton',
	'Eastwood',
	'Epping',
	'Farley',
	'Felsted',
	'Hadley',
	'Harrow',
	'Hatfield',
	'Ilford',
	'Kenley',
	'Langley',
	'Marden',
	'Morley',
	'Northwood',
	'Orpington',
	'Pinner',
	'Purley',
	'Ramsden',
	'Romford',
	'Selby',
	'Shirley',
	'Southall',
	'Stanmore',
	'Thornton',
	'Upminster',
	'Walton',
	'Wembley',
	'Whitley',
	'Woodford',
	'Yeading',
];
/** Share of postcode-less addresses that are ordinary street addresses; the rest is land, sites, masts. */
const ORDINARY_WITHOUT_POSTCODE = 0.7;
const WORKS = [
	'Single storey rear extension',
	'Loft conversion with rear dormer',
	'Change of use to residential',
	'Replacement windows',
	'Erection of a garden outbuilding',
	'Demolition and erection of a three storey building',
	'Installation of solar panels',
	'Tree works (TPO)',
];

function dayOf(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

function isWeekend(ms) {
	const wd = new Date(ms).getUTCDay();
	return wd === 0 || wd === 6;
}

/** Moves a publication into office hours (08:00-19:00 UTC) on a working day: quiet nights and weekends. */
function officeHours(ms, rand) {
	let t = ms;
	const hour = new Date(t).getUTCHours();
	if (hour < 8) t = Math.floor(t / DAY_MS) * DAY_MS + (8 + rand() * 2) * 3600000;
	if (hour >= 19) t = (Math.floor(t / DAY_MS) + 1) * DAY_MS + (8 + rand() * 2) * 3600000;
	while (isWeekend(t) && rand() < 0.95) t += DAY_MS;
	return t;
}

/** `count` distinct town names for one authority. */
function authorityTowns(count, random) {
	const towns = [];
	while (towns.length < count) {
		const town = TOWN_NAMES[Math.floor(random() * TOWN_NAMES.length)];
		if (!towns.includes(town)) towns.push(town);
	}
	return towns;
}

/**
 * @param {object} o
 * @param {number} o.seed
 * @param {string[]} o.lpaIds authorities; the first `busy` are busy ones (15-30 a working day)
 * @param {number} o.busy
 * @param {number} o.startMs first validated day of the feed
 * @param {number} o.days number of validated days
 * @returns {Array<object>} applications with lpa_id, validated, published_at, postcode, address, title
 */
function generateFeed({ seed, lpaIds, busy, startMs, days }) {
	const rand = mulberry32(seed);
	const pick = (list) => list[Math.floor(rand() * list.length)];
	// Town names and the form of postcode-less addresses come from a second stream, so that the
	// publication times of a seed stay what they were before addresses carried a town.
	const addressRand = mulberry32(seed ^ 0x5bd1e995);
	const pickAddress = (list) => list[Math.floor(addressRand() * list.length)];
	const apps = [];
	const burstEvery = 9;
	lpaIds.forEach((lpaId, index) => {
		const isBusy = index < busy;
		const area = AREAS[index % AREAS.length];
		const districts = Array.from(
			{ length: isBusy ? 10 : 6 },
			(_, k) => `${area}${index * 2 + k + 1}`,
		);
		const recent = [];
		// Each authority has its own streets (some names recur between authorities, as they do).
		const STREETS = Array.from({ length: 60 }, () => `${pick(STREET_NAMES)} ${pick(STREET_KINDS)}`);
		const towns = authorityTowns(isBusy ? 3 : 2, addressRand);
		for (let d = 0; d < days; d++) {
			const dayMs = Math.floor(startMs / DAY_MS) * DAY_MS + d * DAY_MS;
			const weekend = isWeekend(dayMs);
			const volume = weekend
				? Math.floor(rand() * (isBusy ? 3 : 2))
				: isBusy
					? 15 + Math.floor(rand() * 16)
					: 2 + Math.floor(rand() * 7);
			if (!volume) continue;
			// How this authority-day gets published.
			const batch = rand() < 0.5;
			const late = rand() < 0.45;
			const lateDays = late ? 1 + Math.floor(24 * rand() * rand()) : 0;
			let batchAt = officeHours(dayMs + lateDays * DAY_MS + (9 + rand() * 9) * 3600000, rand);
			if (batch && rand() < 0.15) {
				// A burst: this authority clears its backlog on its next burst day, several days at once.
				const burstDay =
					Math.ceil((dayMs / DAY_MS + 1) / burstEvery) * burstEvery + (index % burstEvery);
				batchAt = officeHours(burstDay * DAY_MS + 10 * 3600000, rand);
			}
			for (let i = 0; i < volume; i++) {
				let postcode;
				let address;
				const roll = rand();
				if (roll < 0.02) {
					postcode = null;
					// Most applications without a postcode are at an ordinary address (a new build, a
					// council that leaves the postcode out); some are land or sites with no number.
					const number = 1 + Math.floor(rand() * 200);
					const street = pick(STREETS);
					const landForm = pick([
						`Land adjacent to ${number} ${street}`,
						`Land at rear of ${1 + Math.floor(rand() * 200)} ${pick(STREETS)}`,
						`Site of former garages, ${pick(STREETS)}`,
						`Telecommunications mast, ${pick(STREETS)} junction`,
						`Allotments off ${pick(STREETS)}`,
					]);
					const ordinary = addressRand() < ORDINARY_WITHOUT_POSTCODE;
					address = `${ordinary ? `${number} ${street}` : landForm}, ${pickAddress(towns)}`;
				} else if (roll < 0.08 && recent.length) {
					// Several applications at one address.
					const earlier = pick(recent);
					postcode = earlier.postcode;
					address = earlier.address;
				} else {
					postcode = `${pick(districts)} ${Math.floor(rand() * 10)}${pick(UNIT_LETTERS)}${pick(UNIT_LETTERS)}`;
					address = `${1 + Math.floor(rand() * 200)} ${pick(STREETS)}, ${pickAddress(towns)} ${postcode}`;
				}
				let publishedMs = batchAt;
				if (!batch) {
					// Trickled: one by one over hours and days.
					const own = rand() < 0.3 ? 1 + Math.floor(24 * rand() * rand()) : lateDays;
					publishedMs = officeHours(dayMs + own * DAY_MS + (8 + rand() * 60) * 3600000, rand);
				}
				const app = {
					lpa_id: String(lpaId),
					validated: dayOf(dayMs),
					published_at: new Date(publishedMs).toISOString(),
					postcode,
					address,
					title: pick(WORKS),
				};
				apps.push(app);
				if (postcode) {
					recent.push(app);
					if (recent.length > 60) recent.shift();
				}
			}
		}
	});
	return apps;
}

module.exports = { generateFeed, mulberry32 };

/** Postcode areas of Great Britain, for the national feed's authorities. */
const NATIONAL_AREAS =
	'AB AL B BA BB BD BH BL BN BR BS CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX FK FY G GL GU HA HD HG HP HR HU HX IG IP IV KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO'.split(
		' ',
	);
/** The authorities whose real LPA ids are known (api-facts.md), with their postcode area and size. */
const KNOWN_AUTHORITIES = {
	1: { area: 'B', weight: 1.2 },
	2: { area: 'PO', weight: 1.1 },
	106: { area: 'BD', weight: 2.6 },
	175: { area: 'HD', weight: 2.2 },
	205: { area: 'LS', weight: 3.5 },
	213: { area: 'S', weight: 3 },
	245: { area: 'WF', weight: 2 },
};
/** England validates about 400,000 applications a year: about 1,900 a working day. */
const NATIONAL_WEEKDAY_VOLUME = 1900;
const NATIONAL_AUTHORITIES = 400;
const MAX_LATE_DAYS = 28;

/** The national feed's LPA ids: the known real ones kept, the rest filled in, `count` in all. */
function nationalLpaIds(count = NATIONAL_AUTHORITIES) {
	const ids = Object.keys(KNOWN_AUTHORITIES);
	for (let id = 1; ids.length < count; id++) if (!ids.includes(String(id))) ids.push(String(id));
	return ids.sort((a, b) => Number(a) - Number(b));
}

/**
 * The whole country: about 400 authorities (the real ids of api-facts.md kept, with their postcode
 * areas), about 1,900 applications a working day between them, sized unevenly (a few large cities,
 * many small districts). A third of the councils publish in a weekly batch on a day of their own, the
 * others in daily batches or one by one; publications run up to 28 days late. Applications without a
 * postcode (2%) and several at one address (6%) as in `generateFeed`. Deterministic for a seed.
 *
 * @returns {{ lpaIds: string[], apps: Array<object> }}
 */
function generateNationalFeed({ seed, startMs, days, authorities = NATIONAL_AUTHORITIES }) {
	const rand = mulberry32(seed);
	const pick = (list) => list[Math.floor(rand() * list.length)];
	const lpaIds = nationalLpaIds(authorities);
	// Sizes: log-normal, the known cities large; scaled to the national volume.
	const weights = lpaIds.map((id) => {
		const known = KNOWN_AUTHORITIES[id];
		if (known) return known.weight;
		const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
		return Math.exp(0.55 * normal);
	});
	const scale = NATIONAL_WEEKDAY_VOLUME / weights.reduce((sum, w) => sum + w, 0);
	const districtsUsed = new Map();
	const apps = [];
	lpaIds.forEach((lpaId, index) => {
		const known = KNOWN_AUTHORITIES[lpaId];
		const area = known ? known.area : NATIONAL_AREAS[index % NATIONAL_AREAS.length];
		const mean = weights[index] * scale;
		const districtCount = Math.min(12, 3 + Math.round(mean / 2));
		const firstDistrict = (districtsUsed.get(area) ?? 0) + 1;
		districtsUsed.set(area, firstDistrict + districtCount - 1);
		const districts = Array.from(
			{ length: districtCount },
			(_, k) => `${area}${((firstDistrict + k - 1) % 99) + 1}`,
		);
		const streets = Array.from({ length: 80 }, () => `${pick(STREET_NAMES)} ${pick(STREET_KINDS)}`);
		const towns = authorityTowns(2 + Math.floor(rand() * 2), rand);
		const weekly = rand() < 0.33;
		const batchWeekday = 1 + Math.floor(rand() * 5);
		const recent = [];
		for (let d = 0; d < days; d++) {
			const dayMs = Math.floor(startMs / DAY_MS) * DAY_MS + d * DAY_MS;
			const expected = isWeekend(dayMs) ? mean * 0.03 : mean * (0.6 + 0.8 * rand());
			const volume = Math.floor(expected) + (rand() < expected % 1 ? 1 : 0);
			if (!volume) continue;
			const late = rand() < 0.5;
			const lateDays = late
				? Math.min(MAX_LATE_DAYS, 1 + Math.floor(MAX_LATE_DAYS * rand() ** 3))
				: 0;
			let batchAt = officeHours(dayMs + lateDays * DAY_MS + (9 + rand() * 9) * 3600000, rand);
			if (weekly) {
				// The council's weekly list: everything validated since the last one, on its day.
				let at = dayMs + DAY_MS + lateDays * DAY_MS;
				while (new Date(at).getUTCDay() !== batchWeekday) at += DAY_MS;
				batchAt = Math.floor(at / DAY_MS) * DAY_MS + (10 + rand() * 6) * 3600000;
			}
			const trickled = !weekly && rand() < 0.4;
			for (let i = 0; i < volume; i++) {
				let postcode;
				let address;
				const roll = rand();
				if (roll < 0.02) {
					postcode = null;
					const street = pick(streets);
					address =
						rand() < ORDINARY_WITHOUT_POSTCODE
							? `${1 + Math.floor(rand() * 200)} ${street}, ${pick(towns)}`
							: `Land adjacent to ${1 + Math.floor(rand() * 200)} ${street}, ${pick(towns)}`;
				} else if (roll < 0.08 && recent.length) {
					// Pairs (and more) at one address: an application and its listed-building consent.
					const earlier = pick(recent);
					postcode = earlier.postcode;
					address = earlier.address;
				} else {
					postcode = `${pick(districts)} ${Math.floor(rand() * 10)}${pick(UNIT_LETTERS)}${pick(UNIT_LETTERS)}`;
					address = `${1 + Math.floor(rand() * 200)} ${pick(streets)}, ${pick(towns)} ${postcode}`;
				}
				let publishedMs = batchAt;
				if (trickled) {
					const own =
						rand() < 0.3 ? Math.min(MAX_LATE_DAYS, 1 + Math.floor(24 * rand() * rand())) : lateDays;
					publishedMs = officeHours(dayMs + own * DAY_MS + (8 + rand() * 60) * 3600000, rand);
				}
				// At most 28 days late, office hours of the last day included.
				publishedMs = Math.min(publishedMs, dayMs + MAX_LATE_DAYS * DAY_MS + 18 * 3600000);
				const app = {
					lpa_id: lpaId,
					validated: dayOf(dayMs),
					published_at: new Date(publishedMs).toISOString(),
					postcode,
					address,
					title: pick(WORKS),
				};
				apps.push(app);
				if (postcode) {
					recent.push(app);
					if (recent.length > 40) recent.shift();
				}
			}
		}
	});
	return { lpaIds, apps };
}

module.exports.generateNationalFeed = generateNationalFeed;
module.exports.nationalLpaIds = nationalLpaIds;
