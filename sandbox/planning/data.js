/**
 * Deterministic seed data of the Planning API sandbox: planning authorities with real postcode districts
 * and coordinates, and two years of applications shaped as the API returns them. Same seed, same data.
 */
'use strict';

/** A small fast PRNG (mulberry32): deterministic across machines and Node versions. */
function createRandom(seed) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (min, max) => min + Math.floor(next() * (max - min + 1)),
		pick: (list) => list[Math.floor(next() * list.length)],
		chance: (p) => next() < p,
	};
}

/**
 * Authorities with the postcode districts they cover (district centres are real, to a few hundred metres).
 * Ids are strings, as the API gives them. The authorities whose real ids are known (api-facts.md: 1, 2,
 * 106, 175, 205, 213, 245) have those ids, so that an id copied from a test or an example means the same
 * council on the real API; the others have made-up small ids. Rates are mean applications validated per day.
 */
const AUTHORITIES = [
	{
		id: '1',
		name: 'bromsgrove',
		town: 'Bromsgrove',
		host: 'publicaccess.bromsgroveandredditch.gov.uk',
		rate: 0.9,
		districts: [
			['B60', 52.335, -2.058],
			['B61', 52.34, -2.07],
		],
	},
	{
		id: '2',
		name: 'chichester',
		town: 'Chichester',
		host: 'publicaccess.chichester.gov.uk',
		rate: 1.0,
		districts: [
			['PO19', 50.837, -0.779],
			['PO20', 50.79, -0.8],
		],
	},
	{
		id: '3',
		name: 'epsom-and-ewell',
		town: 'Epsom',
		host: 'eplanning.epsom-ewell.gov.uk',
		rate: 0.7,
		districts: [
			['KT17', 51.3333, -0.2574],
			['KT19', 51.34, -0.27],
		],
	},
	{
		id: '4',
		name: 'surrey-heath',
		town: 'Camberley',
		host: 'planning.surreyheath.gov.uk',
		rate: 0.7,
		districts: [
			['GU16', 51.319, -0.732],
			['GU15', 51.336, -0.747],
		],
	},
	{
		id: '5',
		name: 'camden',
		town: 'London',
		host: 'planningrecords.camden.gov.uk',
		rate: 1.4,
		districts: [
			['NW1', 51.5362, -0.1433],
			['NW3', 51.553, -0.17],
			['WC1', 51.523, -0.123],
		],
	},
	{
		id: '6',
		name: 'hackney',
		town: 'London',
		host: 'planning.hackney.gov.uk',
		rate: 1.2,
		districts: [
			['E8', 51.544, -0.063],
			['E5', 51.559, -0.056],
			['N16', 51.562, -0.076],
		],
	},
	{
		id: '7',
		name: 'islington',
		town: 'London',
		host: 'planning.islington.gov.uk',
		rate: 1.2,
		districts: [
			['N1', 51.538, -0.099],
			['N7', 51.552, -0.117],
			['EC1', 51.526, -0.102],
		],
	},
	{
		id: '8',
		name: 'westminster',
		town: 'London',
		host: 'idoxpa.westminster.gov.uk',
		rate: 1.6,
		districts: [
			['W1', 51.514, -0.146],
			['SW1', 51.497, -0.137],
			['W2', 51.515, -0.18],
		],
	},
	{
		id: '9',
		name: 'southwark',
		town: 'London',
		host: 'planning.southwark.gov.uk',
		rate: 1.2,
		districts: [
			['SE1', 51.501, -0.094],
			['SE15', 51.47, -0.065],
			['SE22', 51.456, -0.07],
		],
	},
	{
		id: '10',
		name: 'lambeth',
		town: 'London',
		host: 'planning.lambeth.gov.uk',
		rate: 1.1,
		districts: [
			['SE11', 51.488, -0.11],
			['SW9', 51.47, -0.114],
			['SW2', 51.45, -0.12],
		],
	},
	{
		id: '11',
		name: 'tower-hamlets',
		town: 'London',
		host: 'development.towerhamlets.gov.uk',
		rate: 1.1,
		districts: [
			['E1', 51.517, -0.059],
			['E14', 51.505, -0.02],
			['E3', 51.528, -0.025],
		],
	},
	{
		id: '12',
		name: 'greenwich',
		town: 'London',
		host: 'planning.royalgreenwich.gov.uk',
		rate: 0.8,
		districts: [
			['SE10', 51.482, -0.005],
			['SE18', 51.487, 0.071],
		],
	},
	{
		id: '13',
		name: 'lewisham',
		town: 'London',
		host: 'planning.lewisham.gov.uk',
		rate: 0.8,
		districts: [
			['SE13', 51.46, -0.01],
			['SE4', 51.46, -0.036],
		],
	},
	{
		id: '14',
		name: 'haringey',
		town: 'London',
		host: 'publicregister.haringey.gov.uk',
		rate: 0.8,
		districts: [
			['N8', 51.585, -0.115],
			['N17', 51.597, -0.07],
		],
	},
	{
		id: '15',
		name: 'bristol',
		town: 'Bristol',
		host: 'planningonline.bristol.gov.uk',
		rate: 1.0,
		districts: [
			['BS1', 51.454, -2.593],
			['BS6', 51.47, -2.6],
		],
	},
	{
		id: '16',
		name: 'manchester',
		town: 'Manchester',
		host: 'pa.manchester.gov.uk',
		rate: 1.0,
		districts: [
			['M1', 53.478, -2.235],
			['M14', 53.447, -2.22],
		],
	},
	{
		id: '18',
		name: 'oxford',
		town: 'Oxford',
		host: 'public.oxford.gov.uk',
		rate: 0.7,
		districts: [
			['OX1', 51.75, -1.258],
			['OX4', 51.734, -1.217],
		],
	},
	{
		id: '106',
		name: 'bradford',
		town: 'Bradford',
		host: 'planning.bradford.gov.uk',
		rate: 1.2,
		districts: [
			['BD1', 53.795, -1.752],
			['BD9', 53.81, -1.79],
		],
	},
	{
		id: '175',
		name: 'kirklees',
		town: 'Huddersfield',
		host: 'www.kirklees.gov.uk',
		rate: 1.1,
		districts: [
			['HD1', 53.646, -1.785],
			['HD2', 53.67, -1.77],
		],
	},
	{
		id: '205',
		name: 'leeds',
		town: 'Leeds',
		host: 'publicaccess.leeds.gov.uk',
		rate: 1.6,
		districts: [
			['LS1', 53.797, -1.547],
			['LS6', 53.82, -1.575],
		],
	},
	{
		id: '213',
		name: 'sheffield',
		town: 'Sheffield',
		host: 'planningapps.sheffield.gov.uk',
		rate: 1.4,
		districts: [
			['S1', 53.381, -1.47],
			['S10', 53.378, -1.51],
		],
	},
	{
		id: '245',
		name: 'wakefield',
		town: 'Wakefield',
		host: 'planning.wakefield.gov.uk',
		rate: 0.9,
		districts: [
			['WF1', 53.683, -1.497],
			['WF2', 53.67, -1.52],
		],
	},
];

/** Postcodes of the seed's own examples, placed where they really are. */
const FIXED_POSTCODES = [
	['GU16 7HF', '4', 51.3184, -0.7311],
	['KT17 4DZ', '3', 51.333349, -0.257361],
];

const STREETS = [
	'High Street',
	'Church Road',
	'Station Road',
	'Victoria Road',
	'Park Road',
	'Green Lane',
	'Manor Road',
	'Mill Lane',
	'Queens Road',
	'The Avenue',
	'Kings Road',
	'London Road',
	'Albert Road',
	'Grove Road',
	'New Road',
	'Springfield Road',
	'Chapel Street',
	'Elm Grove',
	'Canal Walk',
	'Market Place',
];
const PROPOSALS = [
	'Two storey rear extension, following demolition of the existing ground floor rear addition.',
	'Single storey rear extension and alterations to the side elevation.',
	'Loft conversion with rear dormer and two front rooflights.',
	'Change of use from office (Class E) to 4 self-contained flats (Class C3).',
	'Erection of a detached dwelling with associated parking and landscaping.',
	'Replacement of timber windows with double glazed timber sash windows.',
	'Installation of an air source heat pump to the rear garden.',
	'Fell one oak tree (T1) subject to a Tree Preservation Order.',
	'Demolition of existing garage and erection of a two storey side extension.',
	'Display of illuminated fascia sign and projecting sign.',
	'Erection of a part 5, part 7 storey building comprising 42 residential units.',
	'Conversion of a single dwelling house into two self-contained flats.',
	'Installation of solar panels on the south facing roof slope.',
	'Basement excavation beneath the existing house with front lightwell.',
	'Variation of condition 2 (approved drawings) of planning permission to alter the fenestration.',
	'Outbuilding in the rear garden for use as a home office.',
	'Listed building consent for internal alterations to the kitchen and bathroom.',
	'Erection of a mansard roof extension to provide an additional storey.',
	'Certificate of lawfulness for a proposed hip to gable roof extension.',
	'Change of use of ground floor retail unit to a cafe with outdoor seating.',
];
const FIRST_NAMES = [
	'Adrian',
	'Priya',
	'Tom',
	'Amara',
	'Sophie',
	'Chen',
	'Oliver',
	'Fatima',
	'James',
	'Grace',
	'Mohammed',
	'Ella',
	'David',
	'Zara',
	'Liam',
];
const LAST_NAMES = [
	'Bailey',
	'Patel',
	'Okafor',
	'Smith',
	'Jones',
	'Williams',
	'Wong',
	'Brown',
	'Khan',
	'Taylor',
	'Evans',
	'Murphy',
	'Clarke',
	'Hughes',
	'Nowak',
];
const AGENTS = [
	'Urban Design Studio Ltd',
	'Hart Planning Consultants',
	'Northfield Architects',
	'Greenline Drawings',
	'Cedar & Co Architects',
	'Riverside Planning LLP',
];
const TITLES = ['Mr', 'Mrs', 'Ms', 'Dr'];
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
const KEYVAL_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const DAY_MS = 24 * 60 * 60 * 1000;

function isoDay(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

/** A realistic postcode of a district with coordinates near its centre (within about a mile). */
function makePostcode(random, district) {
	const [code, lat, lng] = district;
	const unit = `${random.int(1, 9)}${random.pick(UNIT_LETTERS)}${random.pick(UNIT_LETTERS)}`;
	return {
		postcode: `${code} ${unit}`,
		lat: +(lat + (random.next() - 0.5) * 0.024).toFixed(6),
		lng: +(lng + (random.next() - 0.5) * 0.036).toFixed(6),
	};
}

function makeKeyval(random) {
	let keyval = '';
	for (let i = 0; i < 13; i++) keyval += KEYVAL_ALPHABET[random.int(0, KEYVAL_ALPHABET.length - 1)];
	return keyval;
}

function personName(random) {
	return `${random.pick(TITLES)} ${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
}

/**
 * Builds the postcode table (postcode → authority and coordinates) and the applications.
 * Each application has a hidden `published_at` a few days after its validated date and not after `nowMs`.
 */
function generateSeedData({ seed = 1, nowMs, days = 730 }) {
	const random = createRandom(seed * 7919 + 17);
	const postcodes = new Map();
	const byAuthority = new Map();
	for (const authority of AUTHORITIES) {
		const list = [];
		for (const district of authority.districts) {
			for (let i = 0; i < 40; i++) {
				const entry = makePostcode(random, district);
				if (postcodes.has(entry.postcode)) continue;
				const record = { ...entry, lpa_id: authority.id };
				postcodes.set(entry.postcode, record);
				list.push(record);
			}
		}
		byAuthority.set(authority.id, list);
	}
	for (const [postcode, lpaId, lat, lng] of FIXED_POSTCODES) {
		const record = { postcode, lat, lng, lpa_id: lpaId };
		postcodes.set(postcode, record);
		byAuthority.get(lpaId).push(record);
	}

	const keyvals = new Set();
	const applications = [];
	const today = Date.parse(`${isoDay(nowMs)}T00:00:00Z`);
	for (let offset = days; offset >= 1; offset--) {
		const dayMs = today - offset * DAY_MS;
		const weekday = new Date(dayMs).getUTCDay();
		if (weekday === 0 || weekday === 6) continue; // councils validate on working days
		for (const authority of AUTHORITIES) {
			// Poisson count (Knuth) with the authority's mean rate, weekdays only, so scaled by 7/5.
			const limit = Math.exp(-authority.rate * 1.4);
			let count = -1;
			for (let product = 1; product > limit; product *= random.next()) count++;
			for (let n = 0; n < count; n++) {
				let keyval = makeKeyval(random);
				while (keyvals.has(keyval)) keyval = makeKeyval(random);
				keyvals.add(keyval);
				const place = random.pick(byAuthority.get(authority.id));
				const withoutPostcode = random.chance(0.02);
				const street = `${random.int(1, 240)} ${random.pick(STREETS)}`;
				const address = withoutPostcode
					? `Land to the rear of ${street} ${authority.town}`
					: `${street} ${authority.town} ${place.postcode}`;
				const hasApplicant = random.chance(0.75);
				const hasAgent = random.chance(0.6);
				const agentName = hasAgent ? random.pick(AGENTS) : null;
				const lagDays = Math.min(21, Math.floor(-Math.log(1 - random.next()) * 5));
				const publishedMs = Math.min(
					dayMs + lagDays * DAY_MS + random.int(8, 18) * 3600000,
					nowMs - 60000,
				);
				applications.push({
					lpa_id: authority.id,
					lpa_name: authority.name,
					keyval,
					externalLink: `https://${authority.host}/online-applications/applicationDetails.do?activeTab=summary&keyVal=${keyval}`,
					title: random.pick(PROPOSALS),
					address,
					postcode: withoutPostcode ? null : place.postcode,
					lat: withoutPostcode ? null : String(place.lat),
					lng: withoutPostcode ? null : String(place.lng),
					validated: isoDay(dayMs),
					applicant_name: hasApplicant ? personName(random) : null,
					applicant_address: hasApplicant ? address : null,
					agent_name: agentName,
					agent_address: hasAgent
						? `${random.int(1, 90)} ${random.pick(STREETS)} London EC1V ${random.int(1, 9)}AB`
						: null,
					agent_phone:
						hasAgent && random.chance(0.7)
							? `020 7${random.int(100, 999)} ${random.int(1000, 9999)}`
							: null,
					agent_email:
						hasAgent && random.chance(0.6)
							? `${agentName
									.toLowerCase()
									.replace(/[^a-z]+/g, '.')
									.replace(/^\.|\.$/g, '')}@example.co.uk`
							: null,
					docs: String(random.int(0, 48)),
					published_at: new Date(publishedMs).toISOString(),
				});
			}
		}
	}
	return { postcodes, applications };
}

module.exports = {
	AUTHORITIES,
	FIXED_POSTCODES,
	createRandom,
	generateSeedData,
	makeKeyval,
	isoDay,
	DAY_MS,
};
