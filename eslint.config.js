// One ESLint flat config, which also owns formatting (`npm run format` = `eslint --fix`).
// neostandard rather than Prettier: the code is already written in standard style (no
// semicolons, space before function parens, single quotes), which Prettier cannot produce, and
// neostandard is what pino uses (docs house style, tooling). On top of it, typescript-eslint's
// type-checked rules, for the bugs tsc does not see: an un-awaited pool.run() or
// pipeline.exec() silently loses its error, a switch over a union silently misses a member.
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const TS = ['**/*.ts']
const BROWSER = ['src/export/browser/**/*.js', 'src/server/browser/**/*.js']

export default [
  { ignores: [...resolveIgnoresFromGitignore(), 'dist/', 'node_modules/', 'site/', 'test-artifacts/'] },
  ...neostandard({ ts: true }),
  ...tseslint.configs.recommendedTypeChecked.map(config => ({ ...config, files: TS })),
  {
    files: TS,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      // Named explicitly (the first two are in recommendedTypeChecked already): these are the
      // reasons the type-checked rules are here at all.
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }]
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      // A default clause counts as covering the rest of a union: memberString's
      // `default: return String(value)` is the rule for the nine decimal fields, not an omission.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }]
    }
  },
  {
    rules: {
      // Off: related properties share a line in wrapped literals (field tables, expected
      // results); standard's one-per-line-or-all-on-one reflow of ~60 literals would help no reader.
      '@stylistic/object-property-newline': 'off',
      // Off: `return void (facts.malformed = true)` is the decoders' set-and-return idiom, and
      // `void promise` is how no-floating-promises is told a promise is deliberately not awaited.
      'no-void': 'off'
    }
  },
  {
    // Off in tests only: they read JSON (the API's answers, `inspect --json`) and page objects
    // as `any` and check them with assert.deepEqual against literal expected values, which is
    // the type check; declaring a type for each answer would restate the code under test.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off'
    }
  },
  {
    // Private state is declared one way: ES private (#field, #method()), which the runtime
    // enforces, never TypeScript's `private` keyword (erased at compile time). A private
    // constructor is not state (ES has no #constructor) and stays allowed.
    files: TS,
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: 'PropertyDefinition[accessibility="private"], MethodDefinition[accessibility="private"][kind!="constructor"], TSParameterProperty[accessibility="private"]',
          message: 'Declare private state with ES #private, not the TypeScript `private` keyword.'
        }
      ]
    }
  },
  {
    // The two scripts the pages run as written (no build step): classic browser scripts.
    files: BROWSER,
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } }
  }
]
