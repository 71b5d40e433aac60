/**
 * Starts an HTTP server of a sandbox on host:port (0: any free port). `close()` also ends kept-alive
 * connections, so that a test or Ctrl-C stops the sandbox at once instead of waiting for idle sockets.
 */
'use strict';

async function listen(server, port, host) {
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
