// Type-aware rules on the shipped nodes, run by `npm run lint` after `n8n-node lint`: no floating
// promises, no promise where a callback's result is ignored. They are not in eslint.config.mjs
// because n8n's strict mode demands that file unchanged from @n8n/node-cli's template.
import { config } from '@n8n/node-cli/eslint';

export default [
	...config,
	{
		files: ['nodes/**/*.ts'],
		languageOptions: {
			parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
		},
	},
];
