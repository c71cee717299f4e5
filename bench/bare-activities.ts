export async function validate(): Promise<void> {}
export async function charge(): Promise<void> {}
export async function webhook(): Promise<void> {}
