// Jest runs the unit tests of the pure modules (schema parsing, layouts, DOM building) in jsdom, through ts-jest.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  setupFiles: ['<rootDir>/jest.setup.js'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      { tsconfig: { module: 'commonjs', target: 'ES2019', esModuleInterop: true, strict: true, types: ['jest'] } }
    ]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json']
};
