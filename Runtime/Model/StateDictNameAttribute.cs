using System;

namespace TrainingGen; [AttributeUsage(AttributeTargets.Property, Inherited = false)] public sealed class StateDictNameAttribute : Attribute { public StateDictNameAttribute(string name) { Name = name; } public string Name { get; } }
