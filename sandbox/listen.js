/**
 * Starts an HTTP server of a sandbox on host:port (0: any free port). `close()` also ends kept-alive
 * connections, so that a test or Ctrl-C stops the sandbox at once instead of waiting for idle sockets.
 */
'use strict';

async function listen(server, port, host) {
	// Node closes an idle kept-alive connection after 5 s by default, about when a client that reuses
	// idle connections for up to 4 s sends on it: under load (a stalled event loop, a seed being rebuilt)
	// the request meets the close and fails with ECONNRESET. A long server timeout leaves closing to the
	// client, which then never sends on a connection the server is closing.
	server.keepAliveTimeout = 65000;
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
