// placeholder until this entry point lands
