declare function alert(message?: any): void;
