/** asl-validator's package has no usable types entry; this is the call Alki makes. */
declare module 'asl-validator' {
  interface Result {
    isValid: boolean;
    errorsText: (separator?: string) => string;
  }
  export default function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): Result;
}
