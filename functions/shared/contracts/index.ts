export * from './common';
export * from './envelope';
export * from './events';
export * from './saga';
