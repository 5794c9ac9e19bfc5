// Types of the vendored wasmoon (scripts/vendor_wasmoon.ts): those of the npm package.
export * from "wasmoon";
