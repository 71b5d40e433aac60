// n8n loads this package through the "n8n" block of package.json (dist/...), not through this file.
module.exports = {};
