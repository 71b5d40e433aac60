/**
 * Starts an HTTP server of a sandbox on host:port (0: any free port). `close()` also ends kept-alive
 * connections, so that a test or Ctrl-C stops the sandbox at once instead of waiting for idle sockets.
 */
'use strict';

/**
 * Idle kept-alive connections are left for the client to close. With Node's default (5 s) a loaded machine
 * can let the server close one just as a client (undici keeps them 4 s) sends on it: ECONNRESET.
 */
const KEEP_ALIVE_MS = 65000;

async function listen(server, port, host) {
	server.keepAliveTimeout = KEEP_ALIVE_MS;
	server.headersTimeout = KEEP_ALIVE_MS + 1000;
	const sockets = new Set();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, resolve);
	});
	const actualPort = server.address().port;
	return {
		port: actualPort,
		origin: `http://${host}:${actualPort}`,
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

module.exports = { listen };
