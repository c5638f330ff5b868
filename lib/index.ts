/** `alki/cdk`: the store as a construct for another CDK app, with its grant methods. */
export { AlkiStore } from './alki-store.ts';
export { AlkiStack } from './alki-stack.ts';
export type { AlkiStoreProps } from './props.ts';
