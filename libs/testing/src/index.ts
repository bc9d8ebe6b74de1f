export * from './wait-for';
export * from './test-config';
export * from './fakes';
export * from './prng';
export * from './prometheus';
export * from './contracts';
export * from './node-script';
