public enum MallGateDaemonPlaceholder {}
