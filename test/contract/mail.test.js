'use strict';

const nodemailer = require('nodemailer');
const { request } = require('undici');

const { startMailSink, decodeWords } = require('../../sandbox/mail');

let sink;

beforeAll(async () => {
	sink = await startMailSink();
});

afterAll(async () => {
	await sink.close();
});

test('a mail sent over SMTP is listed as JSON and as HTML, subject decoded', async () => {
	const transport = nodemailer.createTransport({
		host: sink.smtpHost,
		port: sink.smtpPort,
		secure: false,
		ignoreTLS: true,
	});
	await transport.sendMail({
		from: 'trigger@example.org',
		to: 'planner@example.org',
		subject: 'New applications – Camden',
		text: 'Two storey rear extension',
	});
	const json = await request(`${sink.url}/api/messages`);
	const messages = await json.body.json();
	expect(messages).toHaveLength(1);
	expect(messages[0]).toMatchObject({
		from: 'trigger@example.org',
		to: ['planner@example.org'],
		subject: 'New applications – Camden',
	});
	expect(messages[0].body).toContain('Two storey rear extension');
	const html = await (await request(sink.url)).body.text();
	expect(html).toContain('New applications – Camden');
	const raw = await (await request(`${sink.url}/messages/1`)).body.text();
	expect(raw).toMatch(/^From: /m);
});

test('encoded words decode in both encodings', () => {
	expect(decodeWords('=?UTF-8?B?wqMxMDA=?= and =?utf-8?Q?caf=C3=A9_bar?=')).toBe(
		'£100 and café bar',
	);
});
