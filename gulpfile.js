// Copies the non-code assets n8n loads next to the bundled nodes: icons (SVG, referenced as
// `file:` from the node descriptions) and codex files (<Node>.node.json).
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src('icons/**/*.svg', { encoding: false }).pipe(dest('dist/icons'));
}

function copyCodexFiles() {
	return src('nodes/**/*.node.json', { base: '.' }).pipe(dest('dist'));
}

exports['build:assets'] = parallel(copyIcons, copyCodexFiles);
